//! This module writes the synthetic supply-chain workload (`tracelog generate`).
