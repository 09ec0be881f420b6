// The edge map is one per process: a test that clears it or reads it must not overlap another that runs parsers.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
