//! This module defines [`Row`], the fixed-width tuple the engine stores: an
//! array of `u32` (when every stored column holds symbols or `any` ids, which
//! are 32-bit) or of `u64`, sized to the widest view of a stratum. Rows need
//! no heap allocation and sort lexicographically like their values.

use std::fmt::Debug;

/// A fixed-width tuple of values; positions past a view's columns stay zero.
pub(crate) trait Row: Copy + Ord + Default + Debug + std::hash::Hash + 'static {
    fn get(&self, idx: usize) -> u64;

    /// Stores `value`, which fits the element type (the planner checks).
    fn set(&mut self, idx: usize, value: u64);

    /// Sorts and deduplicates rows (faster than datafrog's stable sort).
    fn sort_dedup(rows: &mut Vec<Self>) {
        rows.sort_unstable();
        rows.dedup();
    }
}

macro_rules! narrow_rows {
    ($($width:literal)*) => {$(
        impl Row for [u32; $width] {
            #[inline(always)]
            fn get(&self, idx: usize) -> u64 {
                u64::from(self[idx])
            }
            #[inline(always)]
            fn set(&mut self, idx: usize, value: u64) {
                self[idx] = value as u32;
            }
        }
    )*};
}

macro_rules! wide_rows {
    ($($width:literal)*) => {$(
        impl Row for [u64; $width] {
            #[inline(always)]
            fn get(&self, idx: usize) -> u64 {
                self[idx]
            }
            #[inline(always)]
            fn set(&mut self, idx: usize, value: u64) {
                self[idx] = value;
            }
        }
    )*};
}

narrow_rows!(3 4 8);
wide_rows!(3 4 6 8 16 32);

// Narrow rows of one or two values and wide rows of one or two sort as one
// integer: one comparison instead of a slice comparison.
macro_rules! packed_rows {
    ($($row:ty, $get:ident, $set:ident, $key:expr;)*) => {$(
        impl Row for $row {
            #[inline(always)]
            fn get(&self, idx: usize) -> u64 {
                $get(self, idx)
            }
            #[inline(always)]
            fn set(&mut self, idx: usize, value: u64) {
                $set(self, idx, value)
            }
            fn sort_dedup(rows: &mut Vec<Self>) {
                rows.sort_unstable_by_key($key);
                rows.dedup();
            }
        }
    )*};
}

#[inline(always)]
fn get32<const N: usize>(row: &[u32; N], idx: usize) -> u64 {
    u64::from(row[idx])
}

#[inline(always)]
fn set32<const N: usize>(row: &mut [u32; N], idx: usize, value: u64) {
    row[idx] = value as u32;
}

#[inline(always)]
fn get64<const N: usize>(row: &[u64; N], idx: usize) -> u64 {
    row[idx]
}

#[inline(always)]
fn set64<const N: usize>(row: &mut [u64; N], idx: usize, value: u64) {
    row[idx] = value;
}

packed_rows! {
    [u32; 1], get32, set32, |row: &[u32; 1]| row[0];
    [u32; 2], get32, set32, |row: &[u32; 2]| (u64::from(row[0]) << 32) | u64::from(row[1]);
    [u64; 1], get64, set64, |row: &[u64; 1]| row[0];
    [u64; 2], get64, set64, |row: &[u64; 2]| (u128::from(row[0]) << 64) | u128::from(row[1]);
}

/// The widest row the engine supports.
pub(crate) const MAX_WIDTH: usize = 32;

/// Calls `$body` with `$row` bound to the row type for `narrow` and `width`
/// (`width` at most [`MAX_WIDTH`]).
macro_rules! with_row_type {
    ($narrow:expr, $width:expr, $row:ident => $body:expr) => {
        match ($narrow, $width) {
            (true, 0..=1) => {
                type $row = [u32; 1];
                $body
            }
            (true, 2) => {
                type $row = [u32; 2];
                $body
            }
            (true, 3) => {
                type $row = [u32; 3];
                $body
            }
            (true, 4) => {
                type $row = [u32; 4];
                $body
            }
            (true, 5..=8) => {
                type $row = [u32; 8];
                $body
            }
            (_, 0..=1) => {
                type $row = [u64; 1];
                $body
            }
            (_, 2) => {
                type $row = [u64; 2];
                $body
            }
            (_, 3) => {
                type $row = [u64; 3];
                $body
            }
            (_, 4) => {
                type $row = [u64; 4];
                $body
            }
            (_, 5..=6) => {
                type $row = [u64; 6];
                $body
            }
            (_, 7..=8) => {
                type $row = [u64; 8];
                $body
            }
            (_, 9..=16) => {
                type $row = [u64; 16];
                $body
            }
            _ => {
                type $row = [u64; 32];
                $body
            }
        }
    };
}

pub(crate) use with_row_type;
