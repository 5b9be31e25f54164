package dev.sluice.resume;

import dev.sluice.resume.ReplayLog.Entry;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * A memory log's held entries, oldest first, in a ring that grows by doubling, so that the
 * entry at any position is found in one step. Not thread-safe: its log's lock guards it.
 */
final class EntryRing {

    private Entry[] slots = new Entry[16];
    private int head;
    private int size;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void addLast(Entry entry) {
        if (size == slots.length) {
            Entry[] grown = new Entry[slots.length * 2];
            for (int i = 0; i < size; i++) {
                grown[i] = slots[(head + i) & (slots.length - 1)];
            }
            slots = grown;
            head = 0;
        }
        slots[(head + size) & (slots.length - 1)] = entry;
        size++;
    }

    Entry removeFirst() {
        if (size == 0) {
            throw new NoSuchElementException();
        }
        Entry first = slots[head];
        slots[head] = null;
        head = (head + 1) & (slots.length - 1);
        size--;
        return first;
    }

    /** Up to {@code most} entries from position {@code from} on (0 is the oldest held). */
    List<Entry> copy(int from, int most) {
        int count = Math.min(most, size - from);
        List<Entry> out = new ArrayList<>(count);
        for (int i = from; i < from + count; i++) {
            out.add(slots[(head + i) & (slots.length - 1)]);
        }
        return out;
    }

    void clear() {
        slots = new Entry[16];
        head = 0;
        size = 0;
    }
}
