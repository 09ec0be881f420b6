using Dendrite.Data;
using Dendrite.Models;

namespace Dendrite.Cli;

/// <summary>Samples text from a GPT checkpoint (<c>generator=gpt</c>), streaming tokens as they come; the
/// checkpoint's metadata names its sizes and tokenizer.</summary>
internal sealed class GptCheckpointGenerator : ICheckpointGenerator
{
    public string Kind => GptCheckpoint.Kind;

    public string Description => "text from a GPT language model";

    public int Generate(GenerateRequest request, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string> metadata)
    {
        var tokenizer = Tokenizers.FromMetadata(metadata);
        var model = GptCheckpoint.Load(tensors, metadata);
        string prompt = request.Prompt ?? "\n";
        var ids = tokenizer.Encode(prompt);
        if (ids.Length == 0) ids = tokenizer.Encode("\n");
        var options = new SamplingOptions(request.Temperature, request.TopK ?? 0, request.TopP ?? 1.0);
        var stream = new TokenTextStream(tokenizer);
        request.Output.Write(prompt);
        foreach (int id in model.Generate(ids, request.MaxTokens, options, new Generator(request.Seed)))
        {
            request.Output.Write(stream.Push(id));
            request.Output.Flush();
        }
        request.Output.WriteLine(stream.Flush());
        return 0;
    }
}
