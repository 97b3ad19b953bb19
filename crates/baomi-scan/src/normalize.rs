//! Text normalisation with a map back to original offsets (being written).
