//! Copying nouns between heaps (collection at safe points). Owned by the Nock VM work: not written yet.
