using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SharpFuzz.Common;

namespace Dendrite.Fuzz;

/// <summary>
/// Edge coverage in the process, in AFL's manner. The parser assemblies copied next to the fuzzer are rewritten after
/// the build (<see cref="Instrument"/>) so that every branch adds one to a byte of a 64 KiB map, indexed by the
/// identifiers of the branch taken and the one before it. This class owns that map: a campaign clears it before an
/// input and reads it afterwards. Without instrumented assemblies the map stays empty, <see cref="Enabled"/> is
/// false, and a campaign falls back to outcomes.
/// </summary>
public static unsafe class Coverage
{
    /// <summary>Size of the edge map, as SharpFuzz's instrumentation indexes it.</summary>
    public const int MapSize = 1 << 16;

    private static readonly string[] CoreParsers =
    [
        "Dendrite.Generator", "Dendrite.Shapes", "Dendrite.AllocationBudget", "Dendrite.AtomicFile", "Dendrite.DTypes",
    ];

    /// <summary>The assemblies instrumented, and which of their types: parsers and everything under them, but not
    /// the tensor kernels of Dendrite.Core, whose loops would only add noise and time.</summary>
    private static readonly (string Assembly, Func<string, bool> Types)[] Instrumented =
    [
        ("Dendrite.IO", _ => true),
        ("Dendrite.Data", _ => true),
        ("Dendrite.Training", _ => true),
        ("Dendrite.Core", t => CoreParsers.Any(p => t == p || t.StartsWith(p + "/", StringComparison.Ordinal))),
    ];

    private static readonly byte* Map = Allocate();

    private static byte* Allocate()
    {
        var map = (byte*)NativeMemory.AllocZeroed(MapSize);
        Trace.SharedMem = map;
        return map;
    }

    // Instrumented code writes through Trace.SharedMem from its first branch on, so the map must exist before any of
    // it runs: this runs when the fuzzer's assembly is loaded, before any of its code.
#pragma warning disable CA2255 // The map has to be in place before any instrumented branch, in tests too.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize() => _ = Map;

    /// <summary>True when the parser assemblies loaded in this process are instrumented.</summary>
    public static bool Enabled { get; } = AppDomain.CurrentDomain.GetAssemblies()
        .Concat([typeof(IO.Safetensors).Assembly, typeof(Data.Idx).Assembly, typeof(Training.Trainer).Assembly])
        .Distinct()
        .Any(a => a.GetReferencedAssemblies().Any(r => r.Name == "SharpFuzz.Common"));

    /// <summary>Clears the map before an input.</summary>
    public static void Reset()
    {
        new Span<byte>(Map, MapSize).Clear();
        Trace.PrevLocation = 0;
    }

    /// <summary>The map as the last input left it.</summary>
    public static ReadOnlySpan<byte> Current => new(Map, MapSize);

    /// <summary>
    /// Rewrites the parser assemblies in <paramref name="folder"/> with SharpFuzz's edge instrumentation, leaving
    /// any that are already instrumented as they are. Each is instrumented as a copy that then replaces the file, so a
    /// process that has the old one mapped keeps a whole file. Returns one line per assembly.
    /// </summary>
    public static IReadOnlyList<string> Instrument(string folder)
    {
        var lines = new List<string>();
        foreach (var (name, types) in Instrumented)
        {
            string path = Path.Combine(folder, name + ".dll");
            if (!File.Exists(path))
            {
                lines.Add($"{name}: not in {folder}");
                continue;
            }
            string copy = path + ".instrumenting";
            File.Copy(path, copy, overwrite: true);
            try
            {
                int count = SharpFuzz.Fuzzer.Instrument(copy, types, SharpFuzz.Options.Value).Count();
                File.Move(copy, path, overwrite: true);
                lines.Add($"{name}: {count} types instrumented");
            }
            catch (SharpFuzz.InstrumentationException e)
            {
                lines.Add($"{name}: {e.Message}");
            }
            finally
            {
                File.Delete(copy);
            }
        }
        return lines;
    }
}

/// <summary>
/// What a campaign has reached so far: for every map entry, the hit-count classes seen (AFL's buckets 1, 2, 3, 4–7,
/// 8–15, 16–31, 32–127, 128+, one bit each). An input is new when it reaches an entry never reached, or an entry
/// in a class never seen there.
/// </summary>
public sealed class EdgeMap
{
    private readonly byte[] seen = new byte[Coverage.MapSize];
    private static readonly byte[] Bucket = Buckets();

    /// <summary>Map entries (edges) reached at least once.</summary>
    public int Edges { get; private set; }

    private static byte[] Buckets()
    {
        var b = new byte[256];
        for (int n = 1; n < 256; n++)
        {
            b[n] = n switch
            {
                1 => 1,
                2 => 2,
                3 => 4,
                < 8 => 8,
                < 16 => 16,
                < 32 => 32,
                < 128 => 64,
                _ => 128,
            };
        }
        return b;
    }

    /// <summary>Folds the map of one input in; true when it reached a new edge or a new hit-count class.</summary>
    public bool Merge(ReadOnlySpan<byte> map)
    {
        bool fresh = false;
        var words = MemoryMarshal.Cast<byte, ulong>(map);
        for (int w = 0; w < words.Length; w++)
        {
            if (words[w] == 0) continue;
            for (int i = w * 8; i < w * 8 + 8; i++)
            {
                byte hits = map[i];
                if (hits == 0) continue;
                byte cls = Bucket[hits];
                byte before = seen[i];
                if ((cls & ~before) == 0) continue;
                if (before == 0) Edges++;
                seen[i] = (byte)(before | cls);
                fresh = true;
            }
        }
        return fresh;
    }

    /// <summary>Distinct (edge, hit-count class) pairs reached.</summary>
    public int Classes => seen.Sum(b => BitOperations.PopCount(b));
}
