package dev.sluice.chain;

/** Hears what a pool learns of its keys, to tell other instances; must not block. */
interface KeyNews {

    KeyNews NONE = new KeyNews() {
        @Override
        public void rests(KeyPool pool, PoolKey key, long until) {}

        @Override
        public void out(KeyPool pool, PoolKey key) {}
    };

    /** {@code key} rests until {@code until}, epoch milliseconds. */
    void rests(KeyPool pool, PoolKey key, long until);

    /** The provider refused {@code key}. */
    void out(KeyPool pool, PoolKey key);
}
