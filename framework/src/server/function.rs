//! The provider function RPCs: GetFunctions (the signatures, also part of the provider schema)
//! and CallFunction, which checks the arguments against the signature before the call.

use std::collections::HashMap;

use super::ProviderServer;
use super::convert::{self, decode_dynamic, encode_dynamic};
use crate::function::{Arguments, FunctionError};
use crate::proto::tfplugin6 as pb;
use crate::value::{Type, Value};

impl ProviderServer {
    pub(super) fn function_map(&self) -> HashMap<String, pb::Function> {
        self.inner
            .functions
            .iter()
            .map(|(n, f)| (n.clone(), convert::function(&f.signature)))
            .collect()
    }

    pub(super) fn get_functions_impl(&self) -> pb::get_functions::Response {
        pb::get_functions::Response {
            functions: self.function_map(),
            diagnostics: Vec::new(),
        }
    }

    pub(super) async fn call_function_impl(
        &self,
        req: pb::call_function::Request,
    ) -> Result<pb::DynamicValue, FunctionError> {
        let entry = self.inner.functions.get(&req.name).ok_or_else(|| {
            FunctionError::new(format!(
                "this provider has no function named {:?}",
                req.name
            ))
        })?;
        let sig = &entry.signature;
        if req.arguments.len() < sig.parameters.len()
            || (sig.variadic.is_none() && req.arguments.len() > sig.parameters.len())
        {
            return Err(FunctionError::new(format!(
                "{} expects {} argument(s), got {}",
                req.name,
                sig.parameters.len(),
                req.arguments.len()
            )));
        }
        let mut args = Vec::with_capacity(req.arguments.len());
        for (i, dv) in req.arguments.iter().enumerate() {
            let param = sig.parameters.get(i).or(sig.variadic.as_ref());
            let ty = param.map(|p| p.ty.clone()).unwrap_or(Type::Dynamic);
            let v = decode_dynamic(Some(dv), &ty, "function argument")
                .map_err(|d| FunctionError::argument(i, d.to_string()))?;
            if v.is_null() && !param.is_some_and(|p| p.allow_null) {
                return Err(FunctionError::argument(i, "argument must not be null"));
            }
            if !v.is_wholly_known() {
                // Terraform only sends unknowns to parameters that accept them; the result of
                // a call on unknown input is unknown.
                return encode_dynamic(&Value::unknown(), &sig.return_type, "function result")
                    .map_err(|d| FunctionError::new(d.to_string()));
            }
            args.push(v);
        }
        let result = entry
            .handler
            .call(Arguments::new(args, sig.return_type.clone()))
            .await?;
        encode_dynamic(&result, &sig.return_type, "function result")
            .map_err(|d| FunctionError::new(d.to_string()))
    }
}
