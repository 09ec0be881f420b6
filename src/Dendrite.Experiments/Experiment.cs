// An experiment shows one claim of the course as a run: it trains or computes something on real data, and writes a
// report (the claim, what ran, tables and figures) under runs/NAME/. Every experiment has a full form, whose
// figures the docs pages show, and a --quick form that finishes in seconds on tiny data, which the tests run.

namespace Dendrite.Experiments;

/// <summary>One claim of the course, shown by a run. Subclasses in this assembly with a public parameterless
/// constructor are found by <see cref="ExperimentCatalog"/>; names are unique.</summary>
public abstract class Experiment
{
    /// <summary>The command-line name: lower case words joined by hyphens ("xor", "vanishing-gradients").</summary>
    public abstract string Name { get; }

    /// <summary>The course topic, which is also the docs page the full run's figures go to ("foundations").</summary>
    public abstract string Topic { get; }

    /// <summary>One line for <c>dendrite experiment list</c>.</summary>
    public abstract string Summary { get; }

    /// <summary>What the course claims, in a few sentences of Markdown; the report opens with it.</summary>
    public abstract string Claim { get; }

    /// <summary>Runs the experiment, writing tables, figures and findings through <paramref name="context"/>.</summary>
    public abstract void Run(ExperimentContext context);
}
