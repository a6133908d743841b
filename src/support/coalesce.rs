//! Single-flight, short-lived caching of cloud reads shared by many resource instances.
//!
//! Terraform starts one provider process per graph walk and calls ReadResource (and
//! PlanResourceChange) for every instance concurrently. When hundreds of instances are
//! answered by the same list call (every managed VM of an orchestrator is in one
//! `dr_managed_vms` response), asking once per instance would turn a refresh of 1,000 VMs into
//! 1,000 identical requests and trip IBM's rate limits. A [`Coalescer`] makes every caller that
//! asks for the same key within a short window share one request: the first caller starts a
//! *flight*, the others await the same result, and the result stays usable for a TTL.
//!
//! Callers that need to observe their own write (a create waiting until the list shows the new
//! VM) ask with [`Freshness::After`]: only a flight whose request is sent after that instant
//! will do. A flight that has not sent its request yet qualifies for every writer, and a new
//! writer flight waits a short gathering delay before sending, so the creates that finish
//! together share one request. The delay is short on purpose: every create waits for it plus
//! one list request, and with Terraform's `-parallelism` lanes finishing their writes in
//! groups, a few milliseconds gather a whole group (a quarter-second window made a
//! 200-VM apply several times slower than its requests). Readers ([`Freshness::Recent`]) take
//! the newest settled result while it is fresh and never wait for a writer's flight.
//! Errors are shared by the callers of the failed flight (no stampede of retries) but never
//! cached beyond it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::OnceCell;
use tokio::time::Instant;

use crate::cloud::CloudError;

/// What a shared result is: the value, or the error every caller of the flight reports.
pub type Shared<T> = Result<Arc<T>, Arc<CloudError>>;

/// How recent a result must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Anything fetched within the TTL.
    Recent,
    /// Only a fetch that started at or after this instant (to see one's own write).
    After(Instant),
}

struct Flight<T> {
    /// When the request was sent; `None` while the flight waits to send it, when any caller
    /// may still join.
    sent_at: Arc<Mutex<Option<Instant>>>,
    /// Not before this instant (the gathering delay of writers).
    not_before: Instant,
    /// The coalescer's invalidation count when the flight was created.
    generation: u64,
    cell: Arc<OnceCell<Shared<T>>>,
}

impl<T> Clone for Flight<T> {
    fn clone(&self) -> Self {
        Self {
            sent_at: self.sent_at.clone(),
            not_before: self.not_before,
            generation: self.generation,
            cell: self.cell.clone(),
        }
    }
}

impl<T> Flight<T> {
    fn sent_at(&self) -> Option<Instant> {
        *self.sent_at.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The newest successful result of a key, and when its request was sent.
struct Settled<T> {
    sent_at: Instant,
    value: Arc<T>,
}

impl<T> Clone for Settled<T> {
    fn clone(&self) -> Self {
        Self {
            sent_at: self.sent_at,
            value: self.value.clone(),
        }
    }
}

struct Entries<T> {
    /// The flight callers join: in progress, or waiting to send its request.
    flights: HashMap<String, Flight<T>>,
    /// Served without waiting while it is fresh enough, even when a newer flight is under way
    /// (a reader must not wait for a fetch that only a writer needs).
    settled: HashMap<String, Settled<T>>,
    /// Counts invalidations: a flight created before one may have read the old value, so it
    /// answers its own callers but is not kept.
    generation: u64,
}

/// A per-key single-flight cache with a TTL.
pub struct Coalescer<T> {
    ttl: Duration,
    gather: Duration,
    entries: Mutex<Entries<T>>,
}

/// Whether a request sent at `sent_at` satisfies `freshness` at `now`.
fn fresh_enough(ttl: Duration, sent_at: Instant, freshness: Freshness, now: Instant) -> bool {
    match freshness {
        Freshness::Recent => sent_at + ttl > now,
        Freshness::After(instant) => sent_at >= instant,
    }
}

/// What a caller does: take a settled value now, or await a flight.
enum Joined<T> {
    Ready(Arc<T>),
    Await(Flight<T>),
}

impl<T: Send + Sync + 'static> Coalescer<T> {
    /// `ttl`: how long a result serves [`Freshness::Recent`] callers; `gather`: how long a flight
    /// started for a [`Freshness::After`] caller waits for companions before fetching.
    pub fn new(ttl: Duration, gather: Duration) -> Self {
        Self {
            ttl,
            gather,
            entries: Mutex::new(Entries {
                flights: HashMap::new(),
                settled: HashMap::new(),
                generation: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<T>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn usable(&self, flight: &Flight<T>, freshness: Freshness, now: Instant) -> bool {
        if matches!(flight.cell.get(), Some(Err(_))) {
            return false;
        }
        // A flight that has not sent its request yet will send it after `now`.
        flight
            .sent_at()
            .is_none_or(|sent_at| fresh_enough(self.ttl, sent_at, freshness, now))
    }

    /// A fresh enough settled value, else the flight to join: the current one if it is fresh
    /// enough, else a new one.
    fn join(&self, key: &str, freshness: Freshness) -> Joined<T> {
        let now = Instant::now();
        let mut entries = self.lock();
        if let Some(settled) = entries.settled.get(key)
            && fresh_enough(self.ttl, settled.sent_at, freshness, now)
        {
            return Joined::Ready(settled.value.clone());
        }
        if let Some(current) = entries.flights.get(key)
            && self.usable(current, freshness, now)
        {
            return Joined::Await(current.clone());
        }
        let not_before = match freshness {
            Freshness::Recent => now,
            Freshness::After(_) => now + self.gather,
        };
        let flight = Flight {
            sent_at: Arc::new(Mutex::new(None)),
            not_before,
            generation: entries.generation,
            cell: Arc::new(OnceCell::new()),
        };
        entries.flights.insert(key.to_string(), flight.clone());
        Joined::Await(flight)
    }

    /// The value for `key`, fetched by `fetch` unless a fresh enough flight already has (or is
    /// getting) it.
    pub async fn get<F, Fut>(&self, key: &str, freshness: Freshness, fetch: F) -> Shared<T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, CloudError>>,
    {
        let flight = match self.join(key, freshness) {
            Joined::Ready(value) => return Ok(value),
            Joined::Await(flight) => flight,
        };
        let result = flight
            .cell
            .get_or_init(|| async {
                tokio::time::sleep_until(flight.not_before).await;
                let sent_at = Instant::now();
                *flight
                    .sent_at
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(sent_at);
                let result = fetch().await.map(Arc::new).map_err(Arc::new);
                if let Ok(value) = &result {
                    self.settle(key, &flight, sent_at, value);
                }
                result
            })
            .await
            .clone();
        if result.is_err() {
            self.forget_flight(key, &flight);
        }
        result
    }

    /// Records a successful result, unless a newer one or an invalidation came first.
    fn settle(&self, key: &str, flight: &Flight<T>, sent_at: Instant, value: &Arc<T>) {
        let mut entries = self.lock();
        if flight.generation != entries.generation {
            return;
        }
        if entries
            .settled
            .get(key)
            .is_none_or(|settled| settled.sent_at <= sent_at)
        {
            entries.settled.insert(
                key.to_string(),
                Settled {
                    sent_at,
                    value: value.clone(),
                },
            );
        }
    }

    /// Drops the cached value of `key` (after a write that changes it).
    pub fn invalidate(&self, key: &str) {
        let mut entries = self.lock();
        entries.generation += 1;
        entries.flights.remove(key);
        entries.settled.remove(key);
    }

    fn forget_flight(&self, key: &str, flight: &Flight<T>) {
        let mut entries = self.lock();
        if entries
            .flights
            .get(key)
            .is_some_and(|f| Arc::ptr_eq(&f.cell, &flight.cell))
        {
            entries.flights.remove(key);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn counting_fetch(
        calls: &Arc<AtomicU32>,
    ) -> impl Future<Output = Result<u32, CloudError>> + use<> {
        let calls = calls.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok(calls.fetch_add(1, Ordering::SeqCst) + 1)
        }
    }

    /// A cache for spawned tasks that keeps results 10 s and gathers writers for `gather`,
    /// and a counter for the fetches.
    fn shared_cache<T: Send + Sync + 'static>(
        gather: Duration,
    ) -> (Arc<Coalescer<T>>, Arc<AtomicU32>) {
        let cache = Coalescer::new(Duration::from_secs(10), gather);
        (Arc::new(cache), Arc::new(AtomicU32::new(0)))
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_one_request() {
        let (cache, calls) = shared_cache::<u32>(Duration::from_millis(100));
        let tasks: Vec<_> = (0..1000)
            .map(|_| {
                let cache = cache.clone();
                let calls = calls.clone();
                tokio::spawn(async move {
                    cache
                        .get("orch", Freshness::Recent, || counting_fetch(&calls))
                        .await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(*t.await.unwrap().unwrap(), 1);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Other keys are separate.
        let other = cache
            .get("other", Freshness::Recent, || counting_fetch(&calls))
            .await;
        assert_eq!(*other.unwrap(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn results_expire_and_writers_see_their_own_writes() {
        let cache = Coalescer::<u32>::new(Duration::from_secs(10), Duration::from_millis(100));
        let calls = Arc::new(AtomicU32::new(0));
        let get = |f| cache.get("k", f, || counting_fetch(&calls));
        assert_eq!(*get(Freshness::Recent).await.unwrap(), 1);
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(*get(Freshness::Recent).await.unwrap(), 1, "still fresh");
        let written = Instant::now();
        let after = *get(Freshness::After(written)).await.unwrap();
        assert_eq!(after, 2, "a write needs a fetch started after it");
        assert_eq!(*get(Freshness::After(written)).await.unwrap(), 2);
        tokio::time::sleep(Duration::from_secs(11)).await;
        assert_eq!(*get(Freshness::Recent).await.unwrap(), 3, "expired");
        cache.invalidate("k");
        assert_eq!(*get(Freshness::Recent).await.unwrap(), 4, "invalidated");
    }

    #[tokio::test(start_paused = true)]
    async fn writers_finishing_together_share_the_gathered_fetch() {
        let (cache, calls) = shared_cache::<u32>(Duration::from_millis(200));
        let mut tasks = Vec::new();
        for i in 0..10u64 {
            let cache = cache.clone();
            let calls = calls.clone();
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(10 * i)).await;
                let written = Instant::now();
                cache
                    .get("k", Freshness::After(written), || counting_fetch(&calls))
                    .await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn every_writer_sees_a_request_sent_after_its_write_and_groups_share_one() {
        let (cache, calls) = shared_cache::<Instant>(Duration::from_millis(10));
        let mut tasks = Vec::new();
        // Three groups of writers, as Terraform's lanes finish their writes: 0-4 ms,
        // 40-44 ms (while the first group's 100 ms request is in progress) and 200-204 ms.
        for at in [
            0u64, 1, 2, 3, 4, 40, 41, 42, 43, 44, 200, 201, 202, 203, 204,
        ] {
            let (cache, calls) = (cache.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(at)).await;
                let written = Instant::now();
                let sent = cache
                    .get("k", Freshness::After(written), || async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        let sent = Instant::now();
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Ok(sent)
                    })
                    .await
                    .unwrap();
                (at, *sent, written)
            }));
        }
        for t in tasks {
            let (at, sent, written) = t.await.unwrap();
            assert!(
                sent >= written,
                "writer at {at} ms got a request sent before its write"
            );
            assert!(
                written.elapsed() <= Duration::from_millis(110),
                "writer at {at} ms waited {:?}",
                written.elapsed()
            );
        }
        assert_eq!(calls.load(Ordering::SeqCst), 3, "one request per group");
    }

    #[tokio::test(start_paused = true)]
    async fn readers_take_the_settled_value_while_a_writer_waits_for_a_new_one() {
        let (cache, calls) = shared_cache::<u32>(Duration::from_millis(50));
        let first = cache
            .get("k", Freshness::Recent, || counting_fetch(&calls))
            .await
            .unwrap();
        assert_eq!(*first, 1);
        let writer = {
            let (cache, calls) = (cache.clone(), calls.clone());
            tokio::spawn(async move {
                cache
                    .get("k", Freshness::After(Instant::now()), || {
                        counting_fetch(&calls)
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(60)).await; // the writer's request is under way
        let asked = Instant::now();
        let read = cache
            .get("k", Freshness::Recent, || counting_fetch(&calls))
            .await
            .unwrap();
        assert_eq!((*read, asked.elapsed()), (1, Duration::ZERO), "no wait");
        assert_eq!(*writer.await.unwrap().unwrap(), 2);
        let read = cache
            .get("k", Freshness::Recent, || counting_fetch(&calls))
            .await
            .unwrap();
        assert_eq!(*read, 2, "the newer result is served once it settles");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_in_progress_during_an_invalidation_is_not_kept() {
        let (cache, calls) = shared_cache::<u32>(Duration::ZERO);
        let early = {
            let (cache, calls) = (cache.clone(), calls.clone());
            tokio::spawn(async move {
                cache
                    .get("k", Freshness::Recent, || counting_fetch(&calls))
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(5)).await;
        cache.invalidate("k");
        assert_eq!(*early.await.unwrap().unwrap(), 1, "its own caller gets it");
        let read = cache
            .get("k", Freshness::Recent, || counting_fetch(&calls))
            .await
            .unwrap();
        assert_eq!(*read, 2, "read again after the invalidation");
    }

    #[tokio::test(start_paused = true)]
    async fn errors_are_shared_but_not_cached() {
        let cache = Coalescer::<u32>::new(Duration::from_secs(10), Duration::ZERO);
        let failing = || async { Err(CloudError::Config("boom".into())) };
        assert!(cache.get("k", Freshness::Recent, failing).await.is_err());
        let ok = cache
            .get("k", Freshness::Recent, || async { Ok(7) })
            .await
            .unwrap();
        assert_eq!(*ok, 7);
    }
}
