//! Walking folders and reading files, in parallel, into the extract → match → report pipeline (being written).
