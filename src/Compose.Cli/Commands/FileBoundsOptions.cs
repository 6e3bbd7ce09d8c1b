using System.CommandLine;
using Compose.IO;

namespace Compose.Cli.Commands;

/// <summary>
/// The global options that bound every file the CLI reads (docs/security.md): <c>--allow-path DIR</c> widens
/// where files named inside pipelines may live; <c>--max-file-bytes</c> and <c>--max-data-bytes</c> raise the caps.
/// </summary>
internal static class FileBoundsOptions
{
    public const string AllowPathName = "--allow-path";
    public const string MaxFileBytesName = "--max-file-bytes";
    public const string MaxDataBytesName = "--max-data-bytes";

    public static IEnumerable<Option> Create()
    {
        yield return new Option<string[]>(AllowPathName)
        {
            Description = "A folder that files named inside pipelines, models files and search spaces may resolve into, besides the naming file's own folder tree (repeatable).",
            Recursive = true,
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        yield return Positive(MaxFileBytesName, $"Largest pipeline, models, prompt-template, search-space or question file, in bytes (default {FileAccessPolicy.DefaultMaxFileBytes}).");
        yield return Positive(MaxDataBytesName, $"Largest benchmark or recordings file, in bytes (default {FileAccessPolicy.DefaultMaxDataBytes}).");
    }

    private static Option<long?> Positive(string name, string description)
    {
        var option = new Option<long?>(name)
        {
            Description = description,
            Recursive = true,
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var bytes) && bytes >= 1)
                {
                    return bytes;
                }

                result.AddError($"{name} must be a positive whole number of bytes (up to {long.MaxValue}), not '{text}'");
                return null;
            },
        };
        return option;
    }
}
