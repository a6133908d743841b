//! The reply stream of the server-streaming RPCs (InvokeAction, ListResource): events from the
//! task doing the work, and the one way the framework learns that Terraform hung up (Ctrl-C,
//! or it read all it wanted): the stream is dropped, which cancels that task.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use tokio_util::sync::CancellationToken;

/// Events from `events`; dropping it cancels `cancel`.
pub struct CancelOnDrop<S> {
    pub(super) events: S,
    pub(super) cancel: CancellationToken,
}

impl<S: Stream + Unpin> Stream for CancelOnDrop<S> {
    type Item = S::Item;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        Pin::new(&mut self.events).poll_next(cx)
    }
}

impl<S> Drop for CancelOnDrop<S> {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}
