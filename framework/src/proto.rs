//! Generated protocol bindings.

#![allow(clippy::all, missing_docs, unreachable_pub)]

pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}
pub mod plugin {
    tonic::include_proto!("plugin");
}
