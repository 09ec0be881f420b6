using Dendrite.Cli;

namespace Dendrite.Tests;

/// <summary>Runs the <c>dendrite</c> command line in process, capturing what it writes. Tests that use it belong to
/// the "console" collection, since the console is process-wide.</summary>
internal static class ConsoleCli
{
    /// <summary>The exit code, standard output and standard error of <c>dendrite ARGS</c>.</summary>
    public static (int Code, string Out, string Error) Run(params string[] args)
    {
        var (outBefore, errorBefore) = (Console.Out, Console.Error);
        var output = new StringWriter();
        var error = new StringWriter();
        Console.SetOut(TextWriter.Synchronized(output));
        Console.SetError(TextWriter.Synchronized(error));
        try
        {
            int code = Program.Main(args);
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(outBefore);
            Console.SetError(errorBefore);
        }
    }
}

/// <summary>A Fashion-MNIST-shaped folder of noise images and random labels for the command-line tests.</summary>
internal static class NoiseFashionMnist
{
    /// <summary>Writes train-* and t10k-* IDX files of <paramref name="train"/> and <paramref name="test"/> images
    /// into <paramref name="folder"/>, drawn in that order from a generator seeded with <paramref name="seed"/>.</summary>
    public static void Write(string folder, int train, int test, ulong seed)
    {
        var g = new Generator(seed);
        foreach (var (split, n) in new[] { ("train", train), ("t10k", test) })
        {
            Dendrite.Data.Idx.WriteBytes(Path.Combine(folder, $"{split}-images-idx3-ubyte"),
                Tensor.Randint(0, 256, [n, 28, 28], g));
            Dendrite.Data.Idx.WriteBytes(Path.Combine(folder, $"{split}-labels-idx1-ubyte"),
                Tensor.Randint(0, 10, [n], g));
        }
    }
}
