//! Unit tests of `dr_ha_standby`'s schema.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test

use std::time::Duration;

use super::*;

#[test]
fn timeouts_default_to_90_30_60_minutes() {
    let d = HaStandbyResource.timeout_defaults();
    assert_eq!(d.create, Duration::from_secs(5400));
    assert_eq!(d.update, Duration::from_secs(1800));
    assert_eq!(d.delete, Duration::from_secs(3600));
}
