//! This module runs independent pieces of one job on the machine's cores
//! (scoped threads, no pool): contiguous chunks of a slice, or a list of
//! unequal items taken one at a time. Results come back in input order, so
//! callers stay deterministic. A large import spends most of its time in
//! such loops (reading events, removing duplicates, encoding rows).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The number of threads worth starting for `n` units of work when each
/// thread should get at least `min_per_thread` of them.
fn threads_for(n: usize, min_per_thread: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(1 + n / min_per_thread.max(1))
        .max(1)
}

/// `f(offset, chunk)` over contiguous chunks of `items`, one per thread
/// (one chunk, on this thread, when `items` is short), in order.
pub fn map_chunks<T, R, F>(items: &[T], min_per_thread: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(usize, &[T]) -> R + Sync,
{
    let threads = threads_for(items.len(), min_per_thread);
    if threads == 1 {
        return vec![f(0, items)];
    }
    let chunk_len = items.len().div_ceil(threads).max(1);
    let f = &f;
    std::thread::scope(|scope| {
        let mut chunks = items.chunks(chunk_len).enumerate();
        let first = chunks.next();
        let others: Vec<_> = chunks
            .map(|(n, chunk)| scope.spawn(move || f(n * chunk_len, chunk)))
            .collect();
        let mut results = Vec::with_capacity(1 + others.len());
        if let Some((_, chunk)) = first {
            results.push(f(0, chunk));
        }
        for handle in others {
            results.push(join(handle));
        }
        results
    })
}

/// `f(item)` for every item, the threads taking the next item as they
/// finish one, so a few large items do not leave a core idle while another
/// works through the rest. Put the largest items first.
pub fn map_each<T, R, F>(items: Vec<T>, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
{
    let threads = threads_for(items.len(), 1);
    if threads == 1 {
        return items.into_iter().map(f).collect();
    }
    let n = items.len();
    let slots: Vec<Mutex<Option<T>>> = items
        .into_iter()
        .map(|item| Mutex::new(Some(item)))
        .collect();
    let results: Vec<Mutex<Option<R>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let work = || {
        loop {
            let idx = next.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = slots.get(idx) else {
                break;
            };
            let item = take(slot).expect("each item is taken once");
            let result = f(item);
            *results[idx].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
        }
    };
    std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        work();
        for handle in others {
            join(handle);
        }
    });
    results
        .into_iter()
        .map(|slot| take(&slot).expect("every item was worked on"))
        .collect()
}

fn take<T>(slot: &Mutex<Option<T>>) -> Option<T> {
    slot.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// A worker's result; a worker's panic goes on in the caller.
fn join<R>(handle: std::thread::ScopedJoinHandle<'_, R>) -> R {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_slice_in_order_with_their_offsets() {
        let items: Vec<usize> = (0..10_001).collect();
        let parts = map_chunks(&items, 10, |offset, chunk| {
            assert_eq!(chunk[0], offset);
            chunk.to_vec()
        });
        assert_eq!(parts.concat(), items);
        assert_eq!(
            map_chunks(&[] as &[u8], 10, |_, chunk| chunk.len()),
            vec![0]
        );
    }

    #[test]
    fn each_item_is_mapped_once_and_results_keep_the_input_order() {
        let items: Vec<u64> = (0..100).collect();
        let results = map_each(items.clone(), |n| n * n);
        assert_eq!(results, items.iter().map(|n| n * n).collect::<Vec<_>>());
        assert!(map_each(Vec::<u8>::new(), |n| n).is_empty());
    }
}
