using Dendrite.Experiments.Recurrent;
using Dendrite.Models.Sequence;

namespace Dendrite.Cli;

/// <summary><c>generator=names</c>: the gender-conditioned name generator (<c>dendrite train --task names</c>).
/// <c>--prompt</c> is <c>[female|male][:first letters]</c> ("female:ma", "male", ":j"); without a gender the
/// samples alternate; <c>--count</c> names, one a line.</summary>
internal sealed class NamesGenerator : ICheckpointGenerator
{
    /// <inheritdoc/>
    public string Kind => "names";

    /// <inheritdoc/>
    public string Description => "name generator: --prompt [female|male][:first letters], --count names";

    /// <inheritdoc/>
    public int Generate(GenerateRequest request, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string> metadata)
    {
        CharSampling.RefuseTruncation(request, Kind);
        var model = CharLanguageModel.FromCheckpoint(tensors, metadata, request.Checkpoint);
        var genders = (metadata.GetValueOrDefault("conditions_names") ?? "female,male").Split(',');
        string spec = request.Prompt ?? "";
        int colon = spec.IndexOf(':', StringComparison.Ordinal);
        string who = (colon >= 0 ? spec[..colon] : spec).Trim().ToLowerInvariant();
        string first = colon >= 0 ? spec[(colon + 1)..].ToLowerInvariant() : "";
        int fixedGender = who.Length == 0 ? -1 : Array.IndexOf(genders, who);
        if (who.Length > 0 && fixedGender < 0)
            throw new ArgumentException($"generate: --prompt '{spec}': the gender must be one of " +
                $"{string.Join(", ", genders)} (then ':' and first letters, e.g. 'female:ma')");
        if (request.Count <= 0) throw new ArgumentException($"generate: --count {request.Count} must be positive");
        var g = new Generator(request.Seed);
        for (int i = 0; i < request.Count; i++)
        {
            int gender = fixedGender >= 0 ? fixedGender : i % genders.Length;
            request.Output.Write(first);
            model.Sample(SequenceTasks.NameBoundary + first, request.MaxTokens, request.Temperature, g, gender,
                SequenceTasks.NameBoundary, request.Output.Write);
            request.Output.WriteLine(fixedGender >= 0 ? "" : $"  ({genders[gender]})");
        }
        return 0;
    }
}
