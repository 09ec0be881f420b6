using System.Text;
using Dendrite.Data;

namespace Dendrite.Data.Tests.Text;

public class TokenizerTests
{
    // Strings that break naive tokenizers: multi-byte characters, surrogate pairs, combining marks, controls,
    // CRLF, runs of spaces, contractions, digits, a lone NUL, right-to-left text.
    public static readonly string[] Hard =
    [
        "",
        " ",
        "Hello, world!",
        "  two  spaces,\ttab\r\nCRLF\n\n\nand trailing   ",
        "It's they're we've I'm you'll he'd — 'quoted' \"double\"",
        "naïve café coöperate Ångström ß ﬁ",
        "日本語のテキスト、中文，한국어",
        "emoji 😀👍🏽 family 👨‍👩‍👧 flags 🇫🇷",
        "e\u0301 a\u0308 combining",
        "\0\u0001\u007F\u0080\u00A0\u00AD control",
        "مرحبا بالعالم עברית",
        "12345 3.14159 1,000,000 0x7F",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math letters 𝟘𝟙𝟚",
    ];

    private static string Docs()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "fixtures", "text");
        return string.Join("\n\n", Directory.GetFiles(folder, "*.md").Order().Select(File.ReadAllText));
    }

    private static string SyntheticCorpus(int words, int seed)
    {
        string[] syllables =
            ["the", "en", "re", "oth", "er", "ring", "b", "str", "an", "d", "mo", "ly", "qu", "é", "ing"];
        var random = new Random(seed);
        var text = new StringBuilder();
        for (int i = 0; i < words; i++)
        {
            int length = 1 + Math.Min(random.Next(4), random.Next(4));
            for (int s = 0; s < length; s++) text.Append(syllables[random.Next(syllables.Length)]);
            text.Append(random.Next(10) switch { 0 => ", ", 1 => ".\n", 2 => "'s ", _ => " " });
        }
        return text.ToString();
    }

    [Fact]
    public void Bytes_RoundTripAnyText()
    {
        var t = new ByteTokenizer();
        foreach (var s in Hard)
        {
            var ids = t.Encode(s);
            Assert.Equal(Encoding.UTF8.GetByteCount(s), ids.Length);
            Assert.Equal(s, t.Decode(ids));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => t.TokenBytes(256));
    }

    [Fact]
    public void Chars_RoundTripAndNameUnknownCharacter()
    {
        string corpus = string.Concat(Hard);
        var t = CharTokenizer.Train(corpus);
        foreach (var s in Hard) Assert.Equal(s, t.Decode(t.Encode(s)));
        Assert.Equal(corpus.EnumerateRunes().Distinct().Count(), t.VocabSize);
        Assert.Single(t.Encode("😀"));
        var e = Assert.Throws<ArgumentException>(() => t.Encode("abcZ"));
        Assert.Contains("U+005A", e.Message, StringComparison.Ordinal);
        Assert.Contains("offset 3", e.Message, StringComparison.Ordinal);
        var back = Tokenizers.FromMetadata(t.ToMetadata());
        Assert.Equal(t.Encode(corpus), back.Encode(corpus));
    }

    [Fact]
    public void ByteLevel_SplitCoversTextAndMapsEveryByte()
    {
        foreach (var s in Hard)
        {
            var words = ByteLevel.Split(s);
            Assert.Equal(s, string.Concat(words.Select(w => s.Substring(w.Start, w.Length))));
        }
        Assert.Equal(["Hello", ",", " world", "'s", " 42", "  ", " x"],
            ByteLevel.Split("Hello, world's 42   x").Select(w => "Hello, world's 42   x".Substring(w.Start, w.Length)));
        var chars = Enumerable.Range(0, 256).Select(b => ByteLevel.ByteToChar((byte)b)).ToArray();
        Assert.Equal(256, chars.Distinct().Count());
        Assert.Equal('Ġ', ByteLevel.ByteToChar((byte)' '));
        Assert.Equal('Ċ', ByteLevel.ByteToChar((byte)'\n'));
        Assert.Equal('A', ByteLevel.ByteToChar((byte)'A'));
        Assert.Equal((byte)'!', ByteLevel.BaseVocabularyOrder[0]);
    }

    // The obvious trainer: recount every pair of every word after each merge. The incremental one must pick the
    // same merges in the same order.
    private static List<(byte[], byte[])> NaiveMerges(string corpus, int merges)
    {
        var words = ByteLevel.Split(corpus).Select(w => corpus.Substring(w.Start, w.Length))
            .GroupBy(w => w, StringComparer.Ordinal)
            .Select(g => (Symbols: Encoding.UTF8.GetBytes(g.Key).Select(b => new[] { b }).ToList(), Count: g.Count()))
            .ToList();
        var ids = new Dictionary<string, int>();
        var order = ByteLevel.BaseVocabularyOrder.ToArray();
        for (int i = 0; i < 256; i++) ids[Convert.ToHexString([order[i]])] = i;
        int Id(byte[] b) => ids[Convert.ToHexString(b)];
        var result = new List<(byte[], byte[])>();
        for (int m = 0; m < merges; m++)
        {
            var counts = new Dictionary<(int, int), (long Count, byte[] L, byte[] R)>();
            foreach (var (symbols, count) in words)
            {
                for (int i = 0; i + 1 < symbols.Count; i++)
                {
                    var key = (Id(symbols[i]), Id(symbols[i + 1]));
                    var c = counts.GetValueOrDefault(key, (0, symbols[i], symbols[i + 1]));
                    counts[key] = (c.Count + count, c.L, c.R);
                }
            }
            if (counts.Count == 0) break;
            var best = counts.OrderByDescending(kv => kv.Value.Count).ThenBy(kv => kv.Key.Item1)
                .ThenBy(kv => kv.Key.Item2).First();
            if (best.Value.Count < 2) break;
            byte[] joined = [.. best.Value.L, .. best.Value.R];
            ids[Convert.ToHexString(joined)] = 256 + m;
            result.Add((best.Value.L, best.Value.R));
            foreach (var (symbols, _) in words)
            {
                for (int i = 0; i + 1 < symbols.Count; i++)
                {
                    if (Id(symbols[i]) == best.Key.Item1 && Id(symbols[i + 1]) == best.Key.Item2)
                    {
                        symbols[i] = joined;
                        symbols.RemoveAt(i + 1);
                    }
                }
            }
        }
        return result;
    }

    [Fact]
    public void Bpe_TrainMatchesRecountingTrainer()
    {
        string corpus = SyntheticCorpus(3000, 1) + string.Concat(Hard);
        var t = BpeTokenizer.Train(corpus, 256 + 60);
        var expected = NaiveMerges(corpus, 60);
        Assert.Equal(expected.Count, t.MergeCount);
        for (int m = 0; m < expected.Count; m++)
        {
            var (left, right, _) = t.Merges[m];
            Assert.Equal(expected[m].Item1, t.TokenBytes(left).ToArray());
            Assert.Equal(expected[m].Item2, t.TokenBytes(right).ToArray());
        }
    }

    [Fact]
    public void Bpe_RoundTripsAndCompresses()
    {
        string corpus = SyntheticCorpus(5000, 2);
        var t = BpeTokenizer.Train(corpus, 400);
        Assert.Equal(400, t.VocabSize);
        foreach (var s in Hard.Append(corpus).Append(Docs())) Assert.Equal(s, t.Decode(t.Encode(s)));
        Assert.True(t.BytesPerToken(corpus) > 2.5, $"bytes/token {t.BytesPerToken(corpus)}");
        Assert.Equal(1.0, new ByteTokenizer().BytesPerToken(corpus));
        // Training is deterministic.
        Assert.Equal(t.MergesText(), BpeTokenizer.Train(corpus, 400).MergesText());
    }

    [Fact]
    public void Bpe_StopsWhenNoPairRepeats()
    {
        var t = BpeTokenizer.Train("abcd", 1000);
        Assert.Equal(256, t.VocabSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => BpeTokenizer.Train("abc", 100));
    }

    [Fact]
    public void Bpe_SaveLoadAndMetadataKeepEncoding()
    {
        string corpus = SyntheticCorpus(2000, 3) + string.Concat(Hard);
        var t = BpeTokenizer.Train(corpus, 330);
        var dir = Directory.CreateTempSubdirectory("dendrite-bpe-");
        try
        {
            string vocab = Path.Combine(dir.FullName, "vocab.json"), merges = Path.Combine(dir.FullName, "merges.txt");
            t.Save(vocab, merges);
            Assert.StartsWith("#version: 0.2\n", File.ReadAllText(merges), StringComparison.Ordinal);
            var loaded = BpeTokenizer.Load(vocab, merges);
            var viaMetadata = Tokenizers.FromMetadata(t.ToMetadata());
            Assert.Equal("bpe", viaMetadata.Kind);
            foreach (var s in Hard.Append(corpus))
            {
                Assert.Equal(t.Encode(s), loaded.Encode(s));
                Assert.Equal(t.Encode(s), viaMetadata.Encode(s));
            }

            string first = t.MergesText().Split('\n')[1];
            File.WriteAllText(merges, $"#version: 0.2\n{first}\nthe\n");
            var e = Assert.Throws<FormatException>(() => BpeTokenizer.Load(vocab, merges));
            Assert.Contains("merges.txt: line 3", e.Message, StringComparison.Ordinal);
            File.WriteAllText(merges, "#version: 0.2\nt zz\n");
            e = Assert.Throws<FormatException>(() => BpeTokenizer.Load(vocab, merges));
            Assert.Contains("\"zz\" is not in", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
        var missing = Assert.Throws<ArgumentException>(() => Tokenizers.FromMetadata(
            new Dictionary<string, string> { ["tokenizer"] = "bpe" }));
        Assert.Contains("tokenizer.vocab", missing.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Tokenizers.FromMetadata(new Dictionary<string, string>()));
    }

    [Fact]
    public void Gpt2_MergesRebuiltFromRanksEncodeLikeMicrosoftTokenizers()
    {
        var library = Gpt2Tokenizer.Shared;
        var ours = BpeTokenizer.FromGpt2();
        Assert.Equal(50_257, library.VocabSize);
        Assert.Equal(library.VocabSize, ours.VocabSize);
        Assert.Equal(50_000, ours.MergeCount);
        // The library reads <|endoftext|> as GPT-2's special token 50256; BpeTokenizer reads text as plain
        // characters (docs/tokenizers.md), so the pages are compared without it.
        string docs = Docs().Replace("<|endoftext|>", "", StringComparison.Ordinal);
        Assert.True(docs.Length > 100_000, $"only {docs.Length} characters of docs");
        foreach (var s in Hard.Append(docs))
        {
            var expected = library.Encode(s);
            Assert.Equal(expected, ours.Encode(s));
            Assert.Equal(s, ours.Decode(expected));
            Assert.Equal(s, library.Decode(expected));
        }
        // GPT-2's files written and read back encode the same.
        var dir = Directory.CreateTempSubdirectory("dendrite-gpt2-");
        try
        {
            ours.Save(Path.Combine(dir.FullName, "vocab.json"), Path.Combine(dir.FullName, "merges.txt"));
            var loaded = BpeTokenizer.Load(Path.Combine(dir.FullName, "vocab.json"),
                Path.Combine(dir.FullName, "merges.txt"));
            string sample = docs[..20_000];
            Assert.Equal(library.Encode(sample), loaded.Encode(sample));
            Assert.Equal("<|endoftext|>", loaded.Decode([50_256]));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void TokenTextStream_JoinsCharactersSplitAcrossTokens()
    {
        var t = new ByteTokenizer();
        foreach (var s in Hard)
        {
            var stream = new TokenTextStream(t);
            var text = new StringBuilder();
            foreach (int id in t.Encode(s)) text.Append(stream.Push(id));
            text.Append(stream.Flush());
            Assert.Equal(s, text.ToString());
        }
        var partial = new TokenTextStream(t);
        Assert.Equal("", partial.Push(0xF0));
        Assert.Equal("\uFFFD", partial.Flush());
    }
}
