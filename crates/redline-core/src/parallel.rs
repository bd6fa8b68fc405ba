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
