using Dendrite.Cli;
using Dendrite.IO;

namespace Dendrite.Tests;

/// <summary><c>dendrite generate</c> dispatches on the checkpoint's <c>generator</c> metadata key and says what it
/// knows when the key is missing or unknown.</summary>
[Collection("console")]
public sealed class GenerateCommandTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("dendrite-generate-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static (int Code, string Error) Cli(params string[] args)
    {
        var (code, _, error) = ConsoleCli.Run(args);
        return (code, error);
    }

    [Fact]
    public void MissingFile_MissingKey_AndUnknownKind_AreNamed()
    {
        var r = Cli("generate", "--checkpoint", Path.Combine(dir, "none.safetensors"));
        Assert.Equal(2, r.Code);
        Assert.Contains("none.safetensors' does not exist", r.Error);

        string plain = Path.Combine(dir, "plain.safetensors");
        Safetensors.Save(plain, new Dictionary<string, Tensor> { ["w"] = Tensor.Zeros(2) });
        r = Cli("generate", "--checkpoint", plain);
        Assert.Equal(2, r.Code);
        Assert.Contains("has no 'generator' metadata key", r.Error);
        Assert.Contains("Known kinds:", r.Error);

        string odd = Path.Combine(dir, "odd.safetensors");
        Safetensors.Save(odd, new Dictionary<string, Tensor> { ["w"] = Tensor.Zeros(2) },
            new Dictionary<string, string> { ["generator"] = "no-such-model" });
        r = Cli("generate", "--checkpoint", odd);
        Assert.Equal(2, r.Code);
        Assert.Contains("names generator 'no-such-model', which is not known", r.Error);
        foreach (var g in GenerateCommands.Generators) Assert.Contains(g.Kind, r.Error);
    }
}
