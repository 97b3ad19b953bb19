//! Findings, failures, summaries and the sinks that print them (being written).
