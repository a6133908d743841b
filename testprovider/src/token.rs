//! `ephemeral "drtest_token"`: issues a short-lived secret, like a cloud's temporary
//! credential, to feed a write-only argument or a provider block.
//!
//! Open records the token in the store and hands Terraform its id as private data; renew (when
//! `renew_in_ms` asks for it) counts renewals and asks again after the same delay; close marks
//! it closed. Tests read the store to see that Terraform opened, renewed and closed every token
//! and that the value reached the provider but never the state.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_framework::context::Context;
use tf_framework::diag::Diagnostics;
use tf_framework::ephemeral::{EphemeralResource, Opened, Renewed};
use tf_framework::schema::{Attribute, Schema};
use tf_framework::validators::int_between;

use crate::store::{Store, Token as Issued};

pub struct Token;

#[derive(Debug, Serialize, Deserialize)]
pub struct TokenState {
    pub name: String,
    pub renew_in_ms: Option<u64>,
    pub id: Option<String>,
    pub value: Option<String>,
}

/// What Terraform hands back to renew and close.
#[derive(Debug, Serialize, Deserialize)]
pub struct TokenHandle {
    id: String,
    renew_in_ms: Option<u64>,
}

fn renew_time(renew_in_ms: Option<u64>) -> Option<SystemTime> {
    renew_in_ms.map(|ms| SystemTime::now() + Duration::from_millis(ms))
}

fn no_handle() -> Diagnostics {
    Diagnostics::from_error(
        "Missing token handle",
        "Terraform handed back no private data for this drtest_token.",
    )
}

#[async_trait]
impl EphemeralResource for Token {
    type State = TokenState;
    type Private = TokenHandle;

    fn type_name(&self) -> &str {
        "drtest_token"
    }

    fn schema(&self) -> Schema {
        Schema::new()
            .description("A short-lived secret recorded in the store; never stored in state.")
            .attribute(
                Attribute::string("name")
                    .required()
                    .description("What the token is for."),
            )
            .attribute(
                Attribute::number("renew_in_ms")
                    .optional()
                    .validator(int_between(1, 3_600_000))
                    .description(
                        "Ask Terraform to renew the token this long after it is issued (and after \
                         each renewal); such a token is accepted only once renewed.",
                    ),
            )
            .attribute(
                Attribute::string("id")
                    .computed()
                    .description("The token's id."),
            )
            .attribute(
                Attribute::string("value")
                    .computed()
                    .sensitive()
                    .description("The secret."),
            )
    }

    async fn open(
        &self,
        ctx: &Context,
        mut config: TokenState,
    ) -> Result<Opened<TokenState, TokenHandle>, Diagnostics> {
        let store = ctx.provider_data::<Store>()?;
        let name = config.name.clone();
        let renew_in_ms = config.renew_in_ms;
        let (id, value) = store
            .update(|c| {
                c.next_token += 1;
                let id = format!("token-{}", c.next_token);
                let value = format!("tok-{}-{name}", c.next_token);
                c.tokens.insert(
                    id.clone(),
                    Issued {
                        name,
                        value: value.clone(),
                        renew_in_ms,
                        ..Issued::default()
                    },
                );
                Ok((id, value))
            })
            .await?;
        config.id = Some(id.clone());
        config.value = Some(value);
        let mut opened = Opened::new(config).private(TokenHandle { id, renew_in_ms });
        opened.renew_at = renew_time(renew_in_ms);
        Ok(opened)
    }

    async fn renew(
        &self,
        ctx: &Context,
        private: Option<TokenHandle>,
    ) -> Result<Renewed<TokenHandle>, Diagnostics> {
        let store = ctx.provider_data::<Store>()?;
        let handle = private.ok_or_else(no_handle)?;
        store
            .update(|c| match c.tokens.get_mut(&handle.id) {
                Some(t) if !t.closed => {
                    t.renewals += 1;
                    Ok(())
                }
                _ => Err(Diagnostics::from_error(
                    "Token gone",
                    format!(
                        "{} was closed or never issued; it cannot be renewed.",
                        handle.id
                    ),
                )),
            })
            .await?;
        Ok(Renewed {
            renew_at: renew_time(handle.renew_in_ms),
            private: Some(handle),
        })
    }

    async fn close(&self, ctx: &Context, private: Option<TokenHandle>) -> Result<(), Diagnostics> {
        let store = ctx.provider_data::<Store>()?;
        let handle = private.ok_or_else(no_handle)?;
        store
            .update(|c| {
                if let Some(t) = c.tokens.get_mut(&handle.id) {
                    t.closed = true;
                }
                Ok(())
            })
            .await
    }
}
