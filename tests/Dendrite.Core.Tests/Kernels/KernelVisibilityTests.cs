using System.Reflection;
using System.Text.RegularExpressions;

namespace Dendrite.Tests.Kernels;

/// <summary>The kernels are internal to Dendrite.Core: its public surface is the Tensor API, the custom-op API and
/// <see cref="Threading"/>.</summary>
[Trait("Category", "Kernels")]
public partial class KernelVisibilityTests
{
    [GeneratedRegex("Kernel|Gemm|Sgemm|^Conv(Shape|Plan|Planner|Pass|Isa|Reference)?$|^Pool(Shape)?$|^BatchNorm$|" +
        "^Threads$|^Parallel$|Reference$")]
    private static partial Regex KernelName();

    [Fact]
    public void Core_ExposesNoKernelType()
    {
        var exposed = typeof(Tensor).Assembly.GetExportedTypes()
            .Where(t => (t.Namespace ?? "").StartsWith("Dendrite.Kernels", StringComparison.Ordinal) ||
                KernelName().IsMatch(t.Name))
            .Select(t => t.FullName)
            .ToArray();
        Assert.True(exposed.Length == 0, "public kernel types: " + string.Join(", ", exposed));
    }

    [Fact]
    public void Core_KernelsAreThere()
    {
        // The check above would pass vacuously if the kernels had moved: they are in this assembly, internal.
        var kernels = typeof(Tensor).Assembly.GetTypes()
            .Where(t => t.Namespace == "Dendrite.Kernels" && t.Name is "Conv" or "Gemm" or "ConvPlanner")
            .ToArray();
        Assert.Equal(3, kernels.Length);
        Assert.All(kernels, t => Assert.False(t.IsPublic));
    }

    [Fact]
    public void Core_GrantsInternalsToTestAssembliesOnly()
    {
        var granted = typeof(Tensor).Assembly.GetCustomAttributes<System.Runtime.CompilerServices.InternalsVisibleToAttribute>()
            .Select(a => a.AssemblyName)
            .ToArray();
        Assert.Contains("Dendrite.Core.Tests", granted);
        Assert.All(granted, name => Assert.EndsWith(".Tests", name, StringComparison.Ordinal));
    }

    [Fact]
    public void Threading_CountRoundTripsAndRejectsZero()
    {
        int before = Threading.Count;
        Assert.True(before >= 1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Threading.Count = 0);
        Assert.Contains("Threading.Count", e.Message);
        Assert.Equal(before, Threading.Count);
        int sum = 0;
        Threading.For(100, 10, (lo, hi) => Interlocked.Add(ref sum, hi - lo));
        Assert.Equal(100, sum);
    }
}
