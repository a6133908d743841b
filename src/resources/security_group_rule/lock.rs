//! One write at a time per security group.
//!
//! IBM VPC fails concurrent rule writes on one security group ("Error updating Security
//! Group", terraform-provider-ibm #769), and Terraform writes up to `-parallelism` rules at
//! once. Every create, update and delete of a rule therefore holds its group's lock; rules of
//! different groups still go in parallel. The locks live in the provider process, which is
//! where all of one walk's writes happen.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

fn locks() -> &'static Mutex<HashMap<String, Arc<AsyncMutex<()>>>> {
    static LOCKS: OnceLock<Mutex<HashMap<String, Arc<AsyncMutex<()>>>>> = OnceLock::new();
    LOCKS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Waits for, then holds, the write lock of `security_group_id` until the guard drops.
pub async fn lock_group(security_group_id: &str) -> OwnedMutexGuard<()> {
    let lock = locks()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(security_group_id.to_string())
        .or_default()
        .clone();
    lock.lock_owned().await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn writes_to_one_group_never_overlap_but_groups_run_in_parallel() {
        let inside = Arc::new(AtomicU32::new(0));
        let max_inside = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (inside, max_inside) = (inside.clone(), max_inside.clone());
            tasks.push(tokio::spawn(async move {
                let _guard = lock_group("sg-serial").await;
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                max_inside.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                inside.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(max_inside.load(Ordering::SeqCst), 1);

        let _a = lock_group("sg-a").await;
        let other = tokio::time::timeout(Duration::from_millis(10), lock_group("sg-b")).await;
        assert!(other.is_ok(), "another group is not blocked");
    }
}
