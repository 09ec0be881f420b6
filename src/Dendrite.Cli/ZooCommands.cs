using System.CommandLine;
using System.Globalization;
using Dendrite.IO;
using Dendrite.Models;

namespace Dendrite.Cli;

/// <summary><c>dendrite zoo list</c> and <c>dendrite zoo verify FILE</c>.</summary>
public static class ZooCommands
{
    /// <summary>Adds the commands to the root.</summary>
    public static void Register(RootCommand root)
    {
        var zoo = new Command("zoo", "the model zoo: list models, verify torchvision parity files");
        var list = new Command("list", "every zoo model with its default input shape");
        list.SetAction(_ =>
        {
            foreach (var e in Zoo.All)
            {
                Console.WriteLine($"{e.Name,-18} {string.Join('x', e.InputShape),-11} {e.Description}");
            }
            return 0;
        });
        var file = new Argument<string>("FILE") { Description = "parity file (tools/make_zoo_parity.py)" };
        var verify = new Command("verify", "load a parity file's weights strictly, run its input in eval mode and " +
            "compare with its logits; exits 1 above 1e-4 relative error") { file };
        verify.SetAction(p => Verify(p.GetValue(file)!));
        zoo.Subcommands.Add(list);
        zoo.Subcommands.Add(verify);
        root.Subcommands.Add(zoo);
    }

    private static int Verify(string path)
    {
        try
        {
            return VerifyFile(path);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidDataException)
        {
            Console.Error.WriteLine($"zoo verify: {e.Message}");
            return 2;
        }
    }

    private static int VerifyFile(string path)
    {
        var (tensors, metadata) = Safetensors.Load(path);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var r = ZooParity.Verify(tensors, metadata);
        var inv = CultureInfo.InvariantCulture;
        string input = Dendrite.Shapes.Format(tensors[ZooParity.InputKey].Shape);
        Console.WriteLine(string.Create(inv, $"{r.Model}: input {input}, " +
            $"max abs error {r.MaxAbsError:G3}, max relative error {r.MaxRelError:G3} " +
            $"({(r.Passed ? "ok" : "FAILED")}, tolerance {r.Tolerance:G2}; {started.Elapsed.TotalSeconds:F1} s)"));
        return r.Passed ? 0 : 1;
    }
}
