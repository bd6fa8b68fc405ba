//! Work on a batch with every core: the batch is cut into one contiguous part per core, each
//! part is handled on its own scoped thread, and the results come back in the batch's order.

/// `work(offset, part)` for each part (`offset` = the part's first index in `batch`), in order.
pub fn chunks<I: Sync, T: Send>(batch: &[I], work: impl Fn(usize, &[I]) -> T + Sync) -> Vec<T> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = batch.len().div_ceil(workers).max(1);
    if batch.len() <= per {
        return vec![work(0, batch)];
    }
    std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> = batch
            .chunks(per)
            .enumerate()
            .map(|(k, part)| scope.spawn(move || work(k * per, part)))
            .collect();
        handles
            .into_iter()
            .map(|h| match h.join() {
                Ok(t) => t,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// `f` of every item, on every core, in the batch's order.
pub fn map<I: Sync, T: Send>(batch: &[I], f: impl Fn(&I) -> T + Sync) -> Vec<T> {
    chunks(batch, |_, part| part.iter().map(&f).collect::<Vec<T>>())
        .into_iter()
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_batch_order() {
        let v: Vec<u32> = (0..1001).collect();
        assert_eq!(
            super::map(&v, |x| x * 2),
            (0..1001).map(|x| x * 2).collect::<Vec<_>>()
        );
        let offsets = super::chunks(&v, |o, part| (o, part.len()));
        assert_eq!(offsets.iter().map(|(_, n)| n).sum::<usize>(), 1001);
        assert!(offsets.windows(2).all(|w| w[0].0 + w[0].1 == w[1].0));
        assert_eq!(super::map(&Vec::<u32>::new(), |x| *x), Vec::<u32>::new());
    }
}

/// Where [`ordered`] takes its batches; dropping it says there are no more.
pub struct Feeder<T> {
    tx: std::sync::mpsc::SyncSender<(usize, T)>,
    sent: usize,
}

impl<T> Feeder<T> {
    /// Hand a batch over; waits while every thread is busy and a batch per thread is queued.
    pub fn send(&mut self, batch: T) {
        self.tx
            .send((self.sent, batch))
            .expect("the working threads run until the feeder is dropped");
        self.sent += 1;
    }
}

/// A stage of a pipeline: one thread per core runs `work` on whole batches (so per-thread
/// caches stay warm from one batch to the next), and one more thread hands the results to
/// `sink` in the order the batches were sent. Every thread ends once the returned [`Feeder`] is
/// dropped and the work is done; `sink` never waits on whoever feeds the stage.
pub fn ordered<'scope, T, U, W, S>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    work: W,
    mut sink: S,
) -> Feeder<T>
where
    T: Send + 'scope,
    U: Send + 'scope,
    W: Fn(T) -> U + Send + Sync + 'scope,
    S: FnMut(U) + Send + 'scope,
{
    use std::sync::{mpsc, Arc, Mutex};
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (tx, jobs) = mpsc::sync_channel::<(usize, T)>(workers);
    // A finished batch waits in its worker until the sink's thread takes it: results can be
    // large (a mining's batch holds its n-gram tables), and a queue of them only held memory
    // while the sink, the slower side, caught up.
    let (done_tx, done) = mpsc::sync_channel::<(usize, U)>(0);
    let jobs = Arc::new(Mutex::new(jobs));
    let work = Arc::new(work);
    for _ in 0..workers {
        let (jobs, done_tx, work) = (Arc::clone(&jobs), done_tx.clone(), Arc::clone(&work));
        scope.spawn(move || loop {
            let next = jobs.lock().expect("not poisoned").recv();
            let Ok((k, batch)) = next else { break };
            if done_tx.send((k, work(batch))).is_err() {
                break;
            }
        });
    }
    drop(done_tx);
    scope.spawn(move || {
        // Results that came back before their turn.
        let mut early = std::collections::BTreeMap::new();
        let mut turn = 0;
        for (k, result) in done {
            early.insert(k, result);
            while let Some(result) = early.remove(&turn) {
                sink(result);
                turn += 1;
            }
        }
    });
    Feeder { tx, sent: 0 }
}

#[cfg(test)]
mod ordered_tests {
    #[test]
    fn results_reach_the_sink_in_the_order_sent() {
        let mut seen = Vec::new();
        std::thread::scope(|scope| {
            let seen = &mut seen;
            let mut feeder = super::ordered(
                scope,
                |n: u64| {
                    // Later batches finish first.
                    std::thread::sleep(std::time::Duration::from_micros(200 - n * 2));
                    n * n
                },
                move |r| seen.push(r),
            );
            for n in 0..100 {
                feeder.send(n);
            }
        });
        assert_eq!(seen, (0..100u64).map(|n| n * n).collect::<Vec<_>>());
    }
}
