namespace Dendrite.Models.Sequence;

/// <summary>
/// Bag-of-words features: a sentence becomes a vector with one entry per vocabulary word, 1 when the word occurs
/// (or its count), word order forgotten. With a logistic regression on top
/// (<see cref="Classic.LogisticRegression"/>) it is the classic sentiment baseline that a recurrent classifier is
/// measured against (Pang, Lee and Vaithyanathan, 2002, found presence features beat counts on reviews).
/// ids: one sequence of word ids per sentence → features (N, V), Float32.
/// </summary>
public static class BagOfWords
{
    /// <summary>Features of every sentence. Ids below <paramref name="firstWord"/> (padding and unknown tokens) are
    /// left out; ids ≥ <paramref name="vocabularySize"/> are an error.</summary>
    public static Tensor Features(IReadOnlyList<long[]> sentences, int vocabularySize, bool binary = true,
        int firstWord = 2)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        if (vocabularySize <= firstWord)
            throw new ArgumentOutOfRangeException(nameof(vocabularySize),
                $"BagOfWords: vocabulary of {vocabularySize} ids has no words from id {firstWord} on");
        var x = new float[sentences.Count * vocabularySize];
        for (int i = 0; i < sentences.Count; i++)
        {
            foreach (long id in sentences[i])
            {
                if (id < 0 || id >= vocabularySize)
                    throw new ArgumentOutOfRangeException(nameof(sentences),
                        $"BagOfWords: sentence {i} holds id {id}, outside 0..{vocabularySize - 1}");
                if (id < firstWord) continue;
                long at = (long)i * vocabularySize + id;
                x[at] = binary ? 1 : x[at] + 1;
            }
        }
        return Tensor.From(x, sentences.Count, vocabularySize);
    }
}
