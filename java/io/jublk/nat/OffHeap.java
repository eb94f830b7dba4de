package io.jublk.nat;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A zeroed off-heap block with a native-order {@link ByteBuffer} view. Reading fields
 * through the view is plain Java (no JNI call per field), which is why the hot path
 * uses it instead of {@link Pointer#getInt}.
 */
public final class OffHeap implements AutoCloseable {
    private final Memory memory;
    private final ByteBuffer view;

    public OffHeap(long size) {
        memory = new Memory(size);
        memory.clear();
        view = memory.getByteBuffer(0, size).order(ByteOrder.nativeOrder());
    }

    public long address() {
        return Pointer.nativeValue(memory);
    }

    public ByteBuffer buffer() {
        return view;
    }

    public long size() {
        return memory.size();
    }

    @Override
    public void close() {
        memory.close();
    }
}
