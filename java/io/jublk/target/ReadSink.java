package io.jublk.target;

/**
 * Where a READ's data goes when a target delivers it piece by piece (part of the range
 * holds data, part was never written): the queue implements it for its copy mode.
 */
public interface ReadSink {
    /**
     * Puts {@code length} bytes at byte {@code requestOffset} of the request being served:
     * from memory at {@code source}, or zeros when {@code source} is 0.
     */
    void deliver(int requestOffset, long source, int length);
}
