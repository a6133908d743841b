//! Checks shared by resources, data sources and functions: storage tiers, machine types, CIDR
//! parsing and overlap. Pure code, no cloud: the same rule gives the same message everywhere.

pub mod cidr;
pub mod machine_type;
pub mod tier;
