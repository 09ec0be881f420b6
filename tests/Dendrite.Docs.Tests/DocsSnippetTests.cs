using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace Dendrite.Tests;

/// <summary>Every C# snippet of README.md and docs/ compiles and runs. The blocks of one page run in order as one
/// interactive session (a later block sees the variables, types and usings of the earlier ones, and may declare a
/// name again), in a fresh temporary folder, with every Dendrite assembly referenced. A block fenced
/// <c>```csharp compile-only</c> is compiled with the rest but left out of the run (the page says why: it needs data
/// that may not be installed, or runs for minutes); a block that uses what such a block declares is compile-only
/// too. A block fenced
/// <c>```csharp excerpt PATH</c> quotes Dendrite's own source: its lines must appear in that file, in order.</summary>
public class DocsSnippetTests
{
    private static readonly string Root = FindRoot();

    public static TheoryData<string> Pages()
    {
        var data = new TheoryData<string>();
        data.Add("README.md");
        foreach (var f in Directory.EnumerateFiles(Path.Combine(Root, "docs"), "*.md", SearchOption.AllDirectories)
                     .Order(StringComparer.Ordinal))
        {
            string rel = Path.GetRelativePath(Root, f).Replace('\\', '/');
            if (Snippet.Extract(File.ReadAllText(f)).Count > 0) data.Add(rel);
        }
        return data;
    }

    [Fact]
    public void Pages_AreFound()
    {
        // The theory below would pass vacuously on an empty list.
        Assert.True(Pages().Count >= 5, $"only {Pages().Count} pages with C# snippets under {Root}");
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Snippets_CompileAndRun(string page)
    {
        var all = Snippet.Extract(await File.ReadAllTextAsync(Path.Combine(Root, page)));
        Assert.NotEmpty(all);
        foreach (var excerpt in all.Where(b => b.Excerpt is not null)) CheckExcerpt(page, excerpt);
        var blocks = all.Where(b => b.Excerpt is null).ToList();
        if (blocks.Count == 0) return;
        var options = ScriptOptions.Default
            .WithReferences(DendriteAssemblies())
            .WithImports("System", "System.IO", "System.Linq", "System.Collections.Generic", "System.Threading",
                "System.Threading.Tasks")
            .WithAllowUnsafe(true)
            .WithLanguageVersion(Microsoft.CodeAnalysis.CSharp.LanguageVersion.Preview);
        Script? script = null;
        foreach (var block in blocks)
        {
            script = script is null ? CSharpScript.Create(block.Code, options) : script.ContinueWith(block.Code, options);
            var errors = script.Compile().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
            Assert.True(errors.Length == 0,
                $"{page}, block at line {block.Line}: " + string.Join("\n", errors.Select(e => e.ToString())));
        }
        // The run: the blocks that are not compile-only, as a session of their own.
        Script? last = null;
        foreach (var block in blocks.Where(b => !b.CompileOnly))
        {
            last = last is null ? CSharpScript.Create(block.Code, options) : last.ContinueWith(block.Code, options);
            var errors = last.Compile().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
            Assert.True(errors.Length == 0, $"{page}, block at line {block.Line} compiles with the compile-only blocks " +
                "but not without them (mark it compile-only too): " + string.Join("\n", errors.Select(e => e.ToString())));
        }
        if (last is null) return;
        string dir = Path.Combine(Path.GetTempPath(), "dendrite-docs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var cwd = Directory.GetCurrentDirectory();
        var stdout = Console.Out;
        var captured = new StringWriter();
        try
        {
            // Snippets that read the repository's files (samples, bundled data) find them through DENDRITE_ROOT.
            Environment.SetEnvironmentVariable("DENDRITE_ROOT", Root);
            Directory.SetCurrentDirectory(dir);
            Console.SetOut(captured);
            await last.RunAsync();
        }
        catch (CompilationErrorException e)
        {
            Assert.Fail($"{page}: {string.Join("\n", e.Diagnostics)}");
        }
        catch (Exception e)
        {
            Assert.Fail($"{page}: a snippet threw {e.GetType().Name}: {e.Message}\noutput so far:\n{captured}");
        }
        finally
        {
            Console.SetOut(stdout);
            Directory.SetCurrentDirectory(cwd);
            Directory.Delete(dir, recursive: true);
        }
    }

    // Every non-blank line of the excerpt, trimmed, occurs in the file after the previous one.
    private static void CheckExcerpt(string page, Snippet excerpt)
    {
        string file = Path.Combine(Root, excerpt.Excerpt!);
        Assert.True(File.Exists(file), $"{page}, line {excerpt.Line}: excerpt of {excerpt.Excerpt}, which does not exist");
        var source = File.ReadAllLines(file).Select(l => l.Trim()).ToArray();
        int at = 0;
        foreach (var line in excerpt.Code.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
        {
            while (at < source.Length && source[at] != line) at++;
            Assert.True(at < source.Length,
                $"{page}, excerpt at line {excerpt.Line}: '{line}' is not in {excerpt.Excerpt} (after the lines before it)");
            at++;
        }
    }

    [Fact]
    public void Extract_FindsBlocksAndFlags()
    {
        var md = "text\n```csharp\nvar a = 1;\n```\n```bash\nls\n```\n```csharp compile-only\nvar b = a;\n```\n" +
            "```csharp excerpt src/X.cs\nint x;\n```\n";
        var blocks = Snippet.Extract(md);
        Assert.Equal(3, blocks.Count);
        Assert.Equal("src/X.cs", blocks[2].Excerpt);
        Assert.Null(blocks[0].Excerpt);
        Assert.Equal("var a = 1;\n", blocks[0].Code);
        Assert.Equal(2, blocks[0].Line);
        Assert.False(blocks[0].CompileOnly);
        Assert.True(blocks[1].CompileOnly);
    }

    private static IEnumerable<Assembly> DendriteAssemblies()
    {
        // The Dendrite assemblies and what they reference, by loading each type's assembly.
        return
        [
            typeof(Tensor).Assembly, typeof(Nn.Module).Assembly, typeof(Data.DataLoader).Assembly,
            typeof(IO.Safetensors).Assembly, typeof(Training.Trainer).Assembly, typeof(Models.Perceptron).Assembly,
            typeof(Experiments.Experiment).Assembly, typeof(ScottPlot.Plot).Assembly, typeof(SkiaSharp.SKBitmap).Assembly,
        ];
    }

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Dendrite.slnx"))) return d.FullName;
        }
        throw new InvalidOperationException($"Dendrite.slnx not found above {AppContext.BaseDirectory}");
    }
}

/// <summary>A fenced C# block of a Markdown page: its code, the line of its opening fence, and whether it is
/// compile-only.</summary>
internal sealed record Snippet(string Code, int Line, bool CompileOnly, string? Excerpt = null)
{
    public static List<Snippet> Extract(string markdown)
    {
        var result = new List<Snippet>();
        var lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string fence = lines[i].TrimStart();
            if (!fence.StartsWith("```csharp", StringComparison.Ordinal) && !fence.StartsWith("```cs ", StringComparison.Ordinal))
                continue;
            string info = fence[3..].Trim();
            var words = info.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0 || words[0] is not ("csharp" or "cs")) continue;
            var code = new StringBuilder();
            int start = i + 1;
            for (i++; i < lines.Length && !lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal); i++)
            {
                // "#:project" and "#:property" lines direct `dotnet run file.cs`; the references they name are given
                // to the session, so they are left out (as blank lines, keeping line numbers).
                code.Append(lines[i].StartsWith("#:", StringComparison.Ordinal) ? "" : lines[i]).Append('\n');
            }
            int excerpt = Array.IndexOf(words, "excerpt");
            string? path = excerpt >= 0 && excerpt + 1 < words.Length ? words[excerpt + 1] : null;
            if (excerpt >= 0 && path is null)
                throw new FormatException($"line {start}: 'excerpt' needs the path of the file it quotes");
            result.Add(new Snippet(code.ToString(), start, words.Contains("compile-only"), path));
        }
        return result;
    }
}
