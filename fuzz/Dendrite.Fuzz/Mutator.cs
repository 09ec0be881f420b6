using System.Buffers.Binary;

namespace Dendrite.Fuzz;

/// <summary>
/// Byte-level mutations in the manner of libFuzzer's: bit flips, random and "interesting" bytes and integers
/// (little- and big-endian, and as protobuf varints), inserted, deleted, duplicated or truncated ranges, and
/// splices with another corpus entry. One call applies one to four of them.
/// </summary>
public sealed class Mutator(Random rng)
{
    /// <summary>Integers that break size and window arithmetic: zero, signs, powers of two at type edges, and
    /// the values of issue 19's reproducers.</summary>
    public static readonly long[] Interesting =
    [
        0, 1, -1, 2, 3, 7, 8, 16, 255, 256, 1023, 4096, 32768, 65535, 65536, 67_108_865, 100_000_000,
        1L << 30, int.MaxValue, int.MinValue, 1L << 31, uint.MaxValue, 1L << 32, 1L << 40, long.MaxValue,
        long.MinValue,
    ];

    /// <summary>The random source.</summary>
    public Random Random => rng;

    /// <summary>A mutated copy of <paramref name="input"/>; <paramref name="corpus"/> supplies splices.</summary>
    public byte[] Mutate(byte[] input, IReadOnlyList<byte[]> corpus)
    {
        var data = new List<byte>(input);
        int steps = 1 + rng.Next(4);
        for (int s = 0; s < steps; s++) MutateOnce(data, corpus);
        if (data.Count > 1 << 22) data.RemoveRange(1 << 22, data.Count - (1 << 22));
        return [.. data];
    }

    /// <summary>One of the interesting integers.</summary>
    public long InterestingValue() => Interesting[rng.Next(Interesting.Length)];

    private void MutateOnce(List<byte> d, IReadOnlyList<byte[]> corpus)
    {
        int Pos() => d.Count == 0 ? 0 : rng.Next(d.Count);
        switch (rng.Next(10))
        {
            case 0 when d.Count > 0:
                {
                    int p = Pos();
                    d[p] ^= (byte)(1 << rng.Next(8));
                    break;
                }
            case 1 when d.Count > 0:
                d[Pos()] = (byte)rng.Next(256);
                break;
            case 2 when d.Count >= 4:
                {
                    // An interesting 32-bit value, either byte order.
                    var b = new byte[4];
                    int v = unchecked((int)InterestingValue());
                    if (rng.Next(2) == 0) BinaryPrimitives.WriteInt32LittleEndian(b, v);
                    else BinaryPrimitives.WriteInt32BigEndian(b, v);
                    int p = rng.Next(d.Count - 3);
                    for (int i = 0; i < 4; i++) d[p + i] = b[i];
                    break;
                }
            case 3:
                {
                    // An interesting value as a protobuf varint, over whatever varint starts here.
                    int p = Pos();
                    int end = p;
                    while (end < d.Count && (d[end] & 0x80) != 0) end++;
                    if (end < d.Count) end++;
                    d.RemoveRange(p, end - p);
                    d.InsertRange(p, Varint(unchecked((ulong)InterestingValue())));
                    break;
                }
            case 4 when d.Count > 1:
                {
                    int p = Pos(), n = 1 + rng.Next(Math.Min(64, d.Count - p));
                    d.RemoveRange(p, n);
                    break;
                }
            case 5:
                {
                    var bytes = new byte[1 + rng.Next(16)];
                    rng.NextBytes(bytes);
                    d.InsertRange(Pos(), bytes);
                    break;
                }
            case 6 when d.Count > 1:
                {
                    int p = Pos(), n = 1 + rng.Next(Math.Min(256, d.Count - p));
                    d.InsertRange(Pos(), d.GetRange(p, n));
                    break;
                }
            case 7 when d.Count > 1:
                {
                    int keep = 1 + rng.Next(d.Count - 1);
                    d.RemoveRange(keep, d.Count - keep);
                    break;
                }
            case 8 when corpus.Count > 0:
                {
                    var other = corpus[rng.Next(corpus.Count)];
                    if (other.Length == 0) break;
                    int from = rng.Next(other.Length), n = 1 + rng.Next(Math.Min(512, other.Length - from));
                    int p = Pos();
                    int cut = Math.Min(n, d.Count - p);
                    d.RemoveRange(p, cut);
                    d.InsertRange(p, other.AsSpan(from, n).ToArray());
                    break;
                }
            default:
                if (d.Count > 0) d[Pos()] = rng.Next(3) switch { 0 => 0, 1 => 0xFF, _ => 0x7F };
                break;
        }
    }

    /// <summary>The protobuf varint encoding of <paramref name="v"/>.</summary>
    public static byte[] Varint(ulong v)
    {
        var b = new List<byte>();
        do
        {
            byte low = (byte)(v & 0x7F);
            v >>= 7;
            b.Add(v != 0 ? (byte)(low | 0x80) : low);
        }
        while (v != 0);
        return [.. b];
    }
}
