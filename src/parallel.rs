//! A parallel map over the machine's cores with scoped threads: loading and
//! checking posts is independent per file. Results keep the input order.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

pub fn map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len().max(1));
    if threads <= 1 {
        return items.into_iter().map(f).collect();
    }
    let count = items.len();
    let inputs: Vec<Mutex<Option<T>>> = items.into_iter().map(|i| Mutex::new(Some(i))).collect();
    let outputs: Vec<Mutex<Option<R>>> = (0..count).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    // Each index is taken by exactly one thread, so the locks never contend.
                    let item = inputs[i].lock().unwrap_or_else(|p| p.into_inner()).take();
                    if let Some(item) = item {
                        *outputs[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(f(item));
                    }
                }
            });
        }
    });
    outputs
        .into_iter()
        .filter_map(|o| o.into_inner().unwrap_or_else(|p| p.into_inner()))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order_and_every_item() {
        let out = super::map((0..1000).collect(), |i: u64| i * 2);
        assert_eq!(out, (0..1000).map(|i| i * 2).collect::<Vec<_>>());
    }
}
