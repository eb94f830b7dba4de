package io.jublk.cli;

/** A tiny JSON writer for the CLI's --json output (no dependency for a few objects). */
final class Json {
    private Json() {}

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    static final class Writer {
        private final StringBuilder sb = new StringBuilder();
        private boolean needComma;

        private void sep() {
            if (needComma) sb.append(',');
            needComma = false;
        }

        Writer beginObject() {
            sep();
            sb.append('{');
            return this;
        }

        Writer endObject() {
            sb.append('}');
            needComma = true;
            return this;
        }

        Writer beginArray() {
            sep();
            sb.append('[');
            return this;
        }

        Writer endArray() {
            sb.append(']');
            needComma = true;
            return this;
        }

        Writer name(String name) {
            sep();
            sb.append(quote(name)).append(':');
            return this;
        }

        Writer field(String name, String value) {
            name(name);
            sb.append(value == null ? "null" : quote(value));
            needComma = true;
            return this;
        }

        Writer field(String name, long value) {
            name(name);
            sb.append(value);
            needComma = true;
            return this;
        }

        Writer field(String name, boolean value) {
            name(name);
            sb.append(value);
            needComma = true;
            return this;
        }

        @Override
        public String toString() {
            return sb.toString();
        }
    }
}
