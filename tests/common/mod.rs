//! This module holds what several integration tests share. Each test crate
//! uses a part of it, so unused items are allowed here.
#![allow(dead_code)]

pub mod generator;
pub mod shared;
