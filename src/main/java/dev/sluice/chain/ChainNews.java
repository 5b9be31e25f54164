package dev.sluice.chain;

/** Hears what a chain learns of its keys and upstreams, to tell other instances; must not block. */
interface ChainNews {

    ChainNews NONE = new ChainNews() {
        @Override
        public void rests(KeyPool pool, PoolKey key, long until) {}

        @Override
        public void out(KeyPool pool, PoolKey key) {}

        @Override
        public void skips(String route, long until) {}
    };

    /** {@code key} rests until {@code until}, epoch milliseconds. */
    void rests(KeyPool pool, PoolKey key, long until);

    /** The provider refused {@code key}. */
    void out(KeyPool pool, PoolKey key);

    /** {@code route}'s upstream failed in a row and is skipped until {@code until}. */
    void skips(String route, long until);
}
