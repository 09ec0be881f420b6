namespace Dendrite.Data;

// Training learns the merges from a corpus: count every adjacent pair of tokens inside the corpus's words, merge
// the most frequent pair into a new token, repeat until the vocabulary has the size asked for. Recounting every
// pair after each merge costs a pass over the corpus per merge; here the counts are kept up to date instead. Each
// distinct word is stored once with its frequency, each pair knows the words it occurs in, and a merge only
// touches those words: their old pairs are subtracted and their new pairs added. The most frequent pair comes
// from a heap whose stale entries (a count that has since changed) are skipped when they surface.
public sealed partial class BpeTokenizer
{
    /// <summary>Learns merges from <paramref name="corpus"/> until the vocabulary holds
    /// <paramref name="vocabSize"/> tokens (the 256 bytes plus vocabSize − 256 merges), or no pair occurs twice.
    /// Ties between equally frequent pairs go to the pair of smaller ids, so training is deterministic.
    /// <paramref name="progress"/> hears the number of merges made so far, every 100 merges.</summary>
    public static BpeTokenizer Train(string corpus, int vocabSize, IProgress<int>? progress = null) =>
        Train([corpus], vocabSize, progress);

    /// <summary>Learns merges from several texts (documents); no word spans two texts.</summary>
    public static BpeTokenizer Train(IEnumerable<string> texts, int vocabSize, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (vocabSize < 256)
            throw new ArgumentOutOfRangeException(nameof(vocabSize), $"bpe train: vocabSize {vocabSize} < 256, the " +
                "number of byte tokens every byte-level vocabulary starts with");

        // Base tokens: byte b gets the id GPT-2 gives it, so a vocabulary with no merges is GPT-2's first 256 ids.
        var tokens = new List<byte[]?>(vocabSize);
        var byteId = new int[256];
        var order = ByteLevel.BaseVocabularyOrder;
        for (int id = 0; id < 256; id++)
        {
            tokens.Add([order[id]]);
            byteId[order[id]] = id;
        }

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in texts)
        {
            ArgumentNullException.ThrowIfNull(text);
            foreach (var (start, length) in ByteLevel.Split(text))
            {
                var word = text.Substring(start, length);
                counts[word] = counts.TryGetValue(word, out long c) ? c + 1 : 1;
            }
        }
        var state = new PairState(counts.Select(kv => (System.Text.Encoding.UTF8.GetBytes(kv.Key)
            .Select(b => byteId[b]).ToArray(), kv.Value)));

        var merges = new List<(int, int, int)>();
        while (tokens.Count < vocabSize && state.TryTakeBest(out int left, out int right))
        {
            int id = tokens.Count;
            tokens.Add([.. tokens[left]!, .. tokens[right]!]);
            merges.Add((left, right, id));
            state.Merge(left, right, id);
            if (merges.Count % 100 == 0) progress?.Report(merges.Count);
        }
        return new BpeTokenizer([.. tokens], merges, [], "bpe train");
    }

    // The corpus as distinct words (token sequences) with frequencies, the count of every adjacent pair, and for
    // each pair the words that hold it.
    private sealed class PairState
    {
        private readonly List<int[]> words = [];
        private readonly List<long> frequency = [];
        private readonly Dictionary<long, long> pairCount = [];
        private readonly Dictionary<long, HashSet<int>> pairWords = [];
        private readonly PriorityQueue<long, (long NegCount, long Key)> heap = new();

        public PairState(IEnumerable<(int[] Symbols, long Frequency)> corpus)
        {
            foreach (var (symbols, f) in corpus)
            {
                if (symbols.Length < 2) continue;
                int w = words.Count;
                words.Add(symbols);
                frequency.Add(f);
                for (int i = 0; i + 1 < symbols.Length; i++)
                {
                    long key = Key(symbols[i], symbols[i + 1]);
                    pairCount[key] = pairCount.GetValueOrDefault(key) + f;
                    Where(key).Add(w);
                }
            }
            foreach (var (key, count) in pairCount) heap.Enqueue(key, (-count, key));
        }

        private HashSet<int> Where(long key)
        {
            if (!pairWords.TryGetValue(key, out var set)) pairWords[key] = set = [];
            return set;
        }

        // The most frequent pair still current, if it occurs at least twice.
        public bool TryTakeBest(out int left, out int right)
        {
            while (heap.TryDequeue(out long key, out var priority))
            {
                if (pairCount.TryGetValue(key, out long count) && count == -priority.NegCount && count >= 2)
                {
                    left = (int)(key >> 32);
                    right = (int)(uint)key;
                    return true;
                }
            }
            left = right = -1;
            return false;
        }

        // Replaces every (left, right) in the words that hold it by id, updating only those words' pairs.
        public void Merge(int left, int right, int id)
        {
            long merged = Key(left, right);
            var changed = new HashSet<long>();
            foreach (int w in pairWords[merged])
            {
                var old = words[w];
                long f = frequency[w];
                var next = new List<int>(old.Length);
                for (int i = 0; i < old.Length; i++)
                {
                    if (i + 1 < old.Length && old[i] == left && old[i + 1] == right)
                    {
                        next.Add(id);
                        i++;
                    }
                    else
                    {
                        next.Add(old[i]);
                    }
                }
                if (next.Count == old.Length) continue;
                for (int i = 0; i + 1 < old.Length; i++) Add(Key(old[i], old[i + 1]), -f, changed);
                for (int i = 0; i + 1 < next.Count; i++)
                {
                    long key = Key(next[i], next[i + 1]);
                    Add(key, f, changed);
                    Where(key).Add(w);
                }
                words[w] = [.. next];
            }
            pairWords.Remove(merged);
            foreach (long key in changed)
            {
                if (pairCount.TryGetValue(key, out long count)) heap.Enqueue(key, (-count, key));
            }
        }

        private void Add(long key, long delta, HashSet<long> changed)
        {
            long count = pairCount.GetValueOrDefault(key) + delta;
            if (count == 0) pairCount.Remove(key);
            else pairCount[key] = count;
            changed.Add(key);
        }
    }
}
