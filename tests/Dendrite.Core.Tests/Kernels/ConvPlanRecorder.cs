using Dendrite.Kernels;

namespace Dendrite.Tests.Kernels;

// Throwaway: the planner against the kernel choices recorded from the UseX predicates before it replaced them.
public class ConvPlanRecorder
{
    [Fact]
    public void Compare()
    {
        var dir = Environment.GetEnvironmentVariable("DENDRITE_PLAN_RECORD");
        if (dir is null) return;
        var files = new (string File, ConvIsa Isa)[]
        {
            ("avx2.txt", ConvIsa.Avx2), ("v128.txt", ConvIsa.Vector128), ("scalar.txt", ConvIsa.Scalar),
            ("avx2.txt.avx512", ConvIsa.Avx512),
        };
        int n = 0;
        foreach (var (file, isa) in files)
        {
            foreach (var line in File.ReadAllLines(Path.Combine(dir, file)))
            {
                var f = line.Split(' ');
                var v = f[..16].Select(int.Parse).ToArray();
                var s = new ConvShape(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11],
                    v[12], v[13], v[14], v[15]);
                var input = ConvPlanner.InputGradient(s, isa);
                string inputName = (input.Transposed ? "Transposed." : "") + input.Kernel;
                Assert.True(f[16] == ConvPlanner.Forward(s, isa).ToString(), $"{isa} forward {s}: {f[16]}");
                Assert.True(f[17] == inputName, $"{isa} input {s}: {f[17]} vs {inputName}");
                Assert.True(f[18] == ConvPlanner.WeightGradient(s, isa).ToString(), $"{isa} weight {s}: {f[18]}");
                n++;
            }
        }
        Assert.Equal(24000, n);
    }
}
