//! A parallel map over the machine's cores with scoped threads: loading and
//! checking posts is independent per file. Results keep the input order.

/// Maps `f` over `items` with one scoped thread per core, each taking a
/// contiguous share (files cost about the same each).
pub fn map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    map_shares(items, f).into_iter().flatten().collect()
}

/// Like [`map`], but gives the results as one vector per share, in order, so
/// that a caller consuming them frees each share as it goes.
pub fn map_shares<T: Send, R: Send>(mut items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<Vec<R>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len().max(1));
    if threads <= 1 {
        return vec![items.into_iter().map(f).collect()];
    }
    let share = items.len().div_ceil(threads);
    let mut shares = Vec::with_capacity(threads);
    while items.len() > share {
        let rest = items.split_off(share);
        shares.push(items);
        items = rest;
    }
    shares.push(items);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = shares
            .into_iter()
            .map(|share| scope.spawn(move || share.into_iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            // A panic in `f` is a bug: carry it to the caller.
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order_and_every_item() {
        let out = super::map((0..1000).collect(), |i: u64| i * 2);
        assert_eq!(out, (0..1000).map(|i| i * 2).collect::<Vec<_>>());
    }
}
