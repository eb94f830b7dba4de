package io.jublk;

/** A tiny JSON writer for the CLI's --json output (no dependency for a few objects). */
public final class Json {
    private Json() {}

    public static String quote(String s) {
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

    public static final class Writer {
        private final StringBuilder sb = new StringBuilder();
        private boolean needComma;

        private void sep() {
            if (needComma) sb.append(',');
            needComma = false;
        }

        public Writer beginObject() {
            sep();
            sb.append('{');
            return this;
        }

        public Writer endObject() {
            sb.append('}');
            needComma = true;
            return this;
        }

        public Writer beginArray() {
            sep();
            sb.append('[');
            return this;
        }

        public Writer endArray() {
            sb.append(']');
            needComma = true;
            return this;
        }

        public Writer name(String name) {
            sep();
            sb.append(quote(name)).append(':');
            return this;
        }

        public Writer field(String name, String value) {
            name(name);
            sb.append(value == null ? "null" : quote(value));
            needComma = true;
            return this;
        }

        public Writer field(String name, long value) {
            name(name);
            sb.append(value);
            needComma = true;
            return this;
        }

        public Writer field(String name, boolean value) {
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

    /** Parses JSON into Map (objects, insertion-ordered), List, Long, Double, String, Boolean or null. */
    public static Object parse(String text) {
        Parser p = new Parser(text);
        Object v = p.value();
        p.ws();
        if (p.i != text.length()) throw new IllegalArgumentException("trailing characters in JSON at " + p.i);
        return v;
    }

    private static final class Parser {
        private final String s;
        private int i;

        Parser(String s) {
            this.s = s;
        }

        void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        Object value() {
            ws();
            if (i >= s.length()) throw new IllegalArgumentException("unexpected end of JSON");
            char c = s.charAt(i);
            if (c == '{') {
                i++;
                java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
                ws();
                if (s.charAt(i) == '}') { i++; return m; }
                while (true) {
                    ws();
                    String k = string();
                    ws();
                    expect(':');
                    m.put(k, value());
                    ws();
                    if (s.charAt(i) == ',') { i++; continue; }
                    expect('}');
                    return m;
                }
            }
            if (c == '[') {
                i++;
                java.util.List<Object> l = new java.util.ArrayList<>();
                ws();
                if (s.charAt(i) == ']') { i++; return l; }
                while (true) {
                    l.add(value());
                    ws();
                    if (s.charAt(i) == ',') { i++; continue; }
                    expect(']');
                    return l;
                }
            }
            if (c == '"') return string();
            if (s.startsWith("true", i)) { i += 4; return Boolean.TRUE; }
            if (s.startsWith("false", i)) { i += 5; return Boolean.FALSE; }
            if (s.startsWith("null", i)) { i += 4; return null; }
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
            String num = s.substring(start, i);
            if (num.isEmpty()) throw new IllegalArgumentException("bad JSON value at " + start);
            return num.contains(".") || num.contains("e") || num.contains("E") ? (Object) Double.valueOf(num)
                    : (Object) Long.valueOf(num);
        }

        String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (s.charAt(i) != '"') {
                char c = s.charAt(i++);
                if (c == '\\') {
                    char e = s.charAt(i++);
                    switch (e) {
                        case 'n': b.append('\n'); break;
                        case 't': b.append('\t'); break;
                        case 'u': b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; break;
                        default: b.append(e);
                    }
                } else {
                    b.append(c);
                }
            }
            i++;
            return b.toString();
        }

        void expect(char c) {
            if (i >= s.length() || s.charAt(i) != c) throw new IllegalArgumentException("expected '" + c + "' at " + i);
            i++;
        }
    }
}
