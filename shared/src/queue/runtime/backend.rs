//! meetflow's queue as an apalis [`Backend`]: apalis drives handlers, middleware and graceful
//! shutdown; this type only hands it the jobs our fetch loop leased, and installs [`AckLayer`]
//! so every outcome is written back to Redis.

use std::sync::Arc;
use std::task::{Context, Poll};

use apalis::prelude::{Backend, Task, WorkerContext};
use apalis_core::backend::BackendConfig;
use apalis_core::backend::finalize::Ephemeral;

use super::ack::{AckLayer, Acker};
use super::fetch::TaskReceiver;
use super::state::{LeasedJob, Runtime};
use crate::queue::error::QueueError;
use crate::queue::settings::QueueSettings;

/// The apalis backend of one queue in this process.
pub struct QueueBackend {
    pub(crate) rx: TaskReceiver,
    pub(crate) rt: Arc<Runtime>,
    pub(crate) acker: Acker,
}

impl std::fmt::Debug for QueueBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueBackend")
            .field("queue", &self.rt.queue)
            .finish_non_exhaustive()
    }
}

impl Backend for QueueBackend {
    type Task = Task<LeasedJob>;
    type Error = QueueError;

    fn poll_ready(
        &mut self,
        _cx: &mut Context<'_>,
        _worker: &WorkerContext,
    ) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
        _worker: &WorkerContext,
    ) -> Poll<Option<Result<Self::Task, Self::Error>>> {
        match self.rx.lock() {
            Ok(mut rx) => rx.poll_recv(cx),
            Err(_) => Poll::Ready(Some(Err(QueueError::Protocol(
                "task channel poisoned".into(),
            )))),
        }
    }

    fn poll_close(
        &mut self,
        _cx: &mut Context<'_>,
        _worker: &WorkerContext,
    ) -> Poll<Result<(), Self::Error>> {
        // Unstarted jobs are handed back by the fetch loop when it stops; acknowledgements are
        // awaited by each job's own future, so nothing is left to flush here.
        Poll::Ready(Ok(()))
    }
}

impl BackendConfig for QueueBackend {
    type Args = LeasedJob;
    type Id = String;
    type Kind = Ephemeral;
    type Config = QueueSettings;
    type Layer = AckLayer;

    fn config(&self) -> &Self::Config {
        &self.rt.settings
    }

    fn middleware(&mut self, _worker: &mut WorkerContext) -> Self::Layer {
        AckLayer::new(self.rt.clone(), self.acker.clone())
    }
}
