using System.Diagnostics;
using System.Text.Json;

namespace Dendrite.Bench;

/// <summary>The PyTorch opponent: a bench/reference script run by Debian's python3 in a child process with the
/// environment of shared/reference (OpenBLAS SkylakeX kernels, AVX-512 ATen, explicit threads, glibc malloc
/// keeping freed memory; AVX2 kernels instead where the C# side runs without AVX-512), answering one request per
/// stdin line with one JSON line.</summary>
internal sealed class PyTorch : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly Process process;

    private PyTorch(Process process) => this.process = process;

    /// <summary>CPU seconds the child has used so far (for the load estimate).</summary>
    public double CpuSeconds => process.HasExited ? 0 : process.TotalProcessorTime.TotalSeconds;

    /// <summary>Starts bench/reference/<paramref name="script"/>, or returns null (with the reason on stderr) when
    /// python3 or torch is missing.</summary>
    public static PyTorch? Start(string script, int threads, params string[] extra)
    {
        var path = FindScript(script);
        if (path is null || !File.Exists(Python))
        {
            Console.Error.WriteLine($"pytorch side skipped: {(path is null ? "bench/reference/" + script : Python)} " +
                "not found");
            return null;
        }
        var info = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(path);
        info.ArgumentList.Add("--threads");
        info.ArgumentList.Add(threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var a in extra) info.ArgumentList.Add(a);
        const string OpenBlas = "/usr/lib/x86_64-linux-gnu/openblas-openmp";
        if (!File.Exists(Path.Combine(OpenBlas, "libblas.so.3")))
        {
            // Without it torch and numpy fall back to Debian's reference BLAS/LAPACK, 5-25x slower: every ratio would
            // flatter Dendrite.
            Console.Error.WriteLine($"warning: {OpenBlas}/libblas.so.3 is missing, so the PyTorch side runs on the " +
                "reference BLAS and its ratios are not comparable; install libopenblas0-openmp " +
                "(bash shared/reference/setup.sh)");
        }
        info.Environment["LD_LIBRARY_PATH"] = OpenBlas;
        // The opponent runs the widest instruction set the C# side runs: AVX-512 kernels where .NET uses AVX-512,
        // OpenBLAS's Haswell (AVX2) kernels and ATen's AVX2 code where it does not (an AVX2-only machine, or a run
        // under DOTNET_EnableAVX512=0), so that a comparison never sets a kernel against one twice its width.
        bool avx512 = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;
        info.Environment["OPENBLAS_CORETYPE"] = avx512 ? "SkylakeX" : "Haswell";
        info.Environment["ATEN_CPU_CAPABILITY"] = avx512 ? "avx512" : "avx2";
        if (!avx512)
        {
            // oneDNN (PyTorch's convolutions) picks its instruction set on its own; cap it too.
            info.Environment["ONEDNN_MAX_CPU_ISA"] = "AVX2";
            info.Environment["DNNL_MAX_CPU_ISA"] = "AVX2";
        }
        info.Environment["MALLOC_MMAP_THRESHOLD_"] = "33554432";
        info.Environment["MALLOC_TRIM_THRESHOLD_"] = "1073741824";
        var process = Process.Start(info)!;
        var first = process.StandardOutput.ReadLine();
        if (first is null || !first.Contains("\"ready\"", StringComparison.Ordinal))
        {
            Console.Error.WriteLine("pytorch side skipped: python3 could not import torch");
            process.WaitForExit();
            return null;
        }
        return new PyTorch(process);
    }

    /// <summary>Sends one request line and returns the named number from the answer.</summary>
    public double Request(string line, string field)
    {
        process.StandardInput.WriteLine(line);
        process.StandardInput.Flush();
        var answer = process.StandardOutput.ReadLine()
            ?? throw new InvalidOperationException($"pytorch side: no answer to '{line}' (process exited)");
        using var doc = JsonDocument.Parse(answer);
        return doc.RootElement.GetProperty(field).GetDouble();
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(5000)) process.Kill();
        }
        process.Dispose();
    }

    // bench/reference/ is found by walking up from the executable (bin/Release/net10.0 under bench/Dendrite.Bench).
    private static string? FindScript(string script)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "bench", "reference", script);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
