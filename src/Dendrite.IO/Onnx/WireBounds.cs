using Google.Protobuf.Reflection;

namespace Dendrite.IO;

/// <summary>
/// A pass over protobuf wire format before Google.Protobuf parses it: every length-delimited field, in the message
/// and in every submessage the schema names (unknown fields included), must fit in the message that holds it. A
/// length that runs past its message would otherwise reach Google.Protobuf's byte reader, which allocates up to the
/// declared length before it finds the input too short (1.7 GB for a 259-byte model). Anything else malformed
/// (a bad varint, a truncated fixed field, a stray end-group tag) is left to the parser, which reports it.
/// </summary>
internal static class WireBounds
{
    // Google.Protobuf's own recursion limit; deeper nesting is its error to report.
    private const int MaxDepth = 100;

    /// <summary>Throws <see cref="OnnxFormatException"/> naming the field, its message and its offset when a
    /// length-delimited field declares more bytes than its message has left.</summary>
    public static void Check(ReadOnlySpan<byte> bytes, MessageDescriptor descriptor, string source, string what)
    {
        int pos = 0;
        Walk(bytes, ref pos, bytes.Length, descriptor, 0, source, what);
    }

    // Walks fields from pos up to end; returns at the end, at an end-group tag, or at the first malformation that
    // is not a length (the parser stops there too, so nothing after it is read).
    private static void Walk(ReadOnlySpan<byte> b, ref int pos, int end, MessageDescriptor? d, int depth,
        string source, string what)
    {
        if (depth > MaxDepth) return;
        while (pos < end)
        {
            int start = pos;
            if (!Varint(b, ref pos, end, out ulong tag)) return;
            int field = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0:
                    if (!Varint(b, ref pos, end, out _)) return;
                    break;
                case 1:
                case 5:
                    pos += (tag & 7) == 1 ? 8 : 4;
                    if (pos > end) return;
                    break;
                case 2:
                    if (!Varint(b, ref pos, end, out ulong length)) return;
                    if (length > (ulong)(end - pos))
                    {
                        string name = d?.FindFieldByNumber(field)?.Name is { } n ? $"'{n}' (field {field})"
                            : $"field {field}";
                        throw new OnnxFormatException(
                            $"{source}: malformed {what}: {name} of {d?.Name ?? "an unknown message"} at offset "
                            + $"{start} declares {length} bytes, but its message has only {end - pos} left");
                    }
                    int inner = pos;
                    int stop = pos + (int)length;
                    if (d?.FindFieldByNumber(field) is { FieldType: FieldType.Message } f)
                        Walk(b, ref inner, stop, f.MessageType, depth + 1, source, what);
                    pos = stop;
                    break;
                case 3:
                    var g = d?.FindFieldByNumber(field);
                    Walk(b, ref pos, end, g is { FieldType: FieldType.Group } ? g.MessageType : null, depth + 1, source,
                        what);
                    break;
                default:
                    // An end-group tag (4) or a wire type that does not exist.
                    return;
            }
        }
    }

    private static bool Varint(ReadOnlySpan<byte> b, ref int pos, int end, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 64 && pos < end; shift += 7)
        {
            byte x = b[pos++];
            value |= (ulong)(x & 0x7F) << shift;
            if (x < 0x80) return true;
        }
        return false;
    }
}
