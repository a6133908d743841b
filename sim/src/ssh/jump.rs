//! The jump host: user `jump`, public keys registered as PowerVS SSH keys of the account,
//! and `direct-tcpip` to `<KSYS host private IP>:22` only. Session channels, other targets
//! and remote forwarding are refused (`SSH_OPEN_ADMINISTRATIVELY_PROHIBITED`).

use std::sync::Arc;

use russh::server::{
    Auth, ChannelOpenHandle, Handler, Msg, PublicKeyOffer, Session, VerifiedPublicKey,
};
use russh::{Channel, ChannelOpenFailure};

use super::host::KsysHost;
use super::{JUMP_METHODS, keys, verdict};
use crate::services::ksys;
use crate::sim::Sim;

/// The only user the jump host knows.
pub const JUMP_USER: &str = "jump";

pub struct JumpHost {
    sim: Arc<Sim>,
}

impl JumpHost {
    pub fn new(sim: Arc<Sim>) -> Self {
        JumpHost { sim }
    }

    async fn accepts(&self, user: &str, key: &russh::keys::PublicKey) -> bool {
        user == JUMP_USER && keys::is_account_key(&*self.sim.world().await, key)
    }
}

impl Handler for JumpHost {
    type Error = russh::Error;

    async fn auth_none(&mut self, _user: &str) -> Result<Auth, Self::Error> {
        Ok(verdict(false, JUMP_METHODS))
    }

    async fn auth_password(&mut self, _user: &str, _password: &str) -> Result<Auth, Self::Error> {
        Ok(verdict(false, JUMP_METHODS))
    }

    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(verdict(
            self.accepts(user, offer.public_key).await,
            JUMP_METHODS,
        ))
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(verdict(
            self.accepts(user, key.public_key).await,
            JUMP_METHODS,
        ))
    }

    async fn channel_open_session(
        &mut self,
        _channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        reply
            .reject(ChannelOpenFailure::AdministrativelyProhibited)
            .await;
        Ok(())
    }

    async fn channel_open_direct_tcpip(
        &mut self,
        channel: Channel<Msg>,
        host_to_connect: &str,
        port_to_connect: u32,
        _originator_address: &str,
        _originator_port: u32,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let host = if port_to_connect == 22 {
            ksys::host_at(&*self.sim.world().await, host_to_connect)
        } else {
            None
        };
        let Some(host) = host else {
            tracing::debug!(
                host_to_connect,
                port_to_connect,
                "jump host refuses to forward"
            );
            reply
                .reject(ChannelOpenFailure::AdministrativelyProhibited)
                .await;
            return Ok(());
        };
        if self.sim.ssh_refuses_host(&host.address) {
            reply.reject(ChannelOpenFailure::ConnectFailed).await;
            return Ok(());
        }
        reply.accept().await;
        self.sim.count_ssh_session(&host.address);
        let config = super::host_config(self.sim.config().seed, &host.vm_id);
        let handler = KsysHost::new(self.sim.clone(), host);
        let stream = channel.into_stream();
        tokio::spawn(async move {
            match russh::server::run_stream(config, stream, handler).await {
                Ok(session) => {
                    if let Err(e) = session.await {
                        tracing::debug!(error = %e, "KSYS host session ended");
                    }
                }
                Err(e) => tracing::debug!(error = %e, "KSYS host handshake failed"),
            }
        });
        Ok(())
    }

    async fn tcpip_forward(
        &mut self,
        _address: &str,
        _port: &mut u32,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        Ok(false)
    }
}
