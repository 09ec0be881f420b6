namespace Dendrite.Tests;

/// <summary>Tests that redirect <see cref="Console.Out"/> run alone, so no other test's progress lines reach
/// the writer they read.</summary>
[CollectionDefinition("console", DisableParallelization = true)]
public sealed class ConsoleCollection
{
}
