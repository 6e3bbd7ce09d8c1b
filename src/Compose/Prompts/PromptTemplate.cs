using Compose.Language;
using Scriban;
using Scriban.Parsing;
using Scriban.Syntax;
using Scriban.Runtime;

namespace Compose.Prompts;

/// <summary>
/// A parsed Scriban prompt template, rendered in a sandbox: no file, network or environment
/// access (no template loader, no .NET member access), loop and recursion limits, and a cap on
/// output size. Values (the question, candidates, critiques) are passed as data and are never
/// parsed as template code.
/// </summary>
public sealed class PromptTemplate
{
    /// <summary>Largest rendered prompt, in characters.</summary>
    public const int MaxOutputChars = 2_000_000;

    /// <summary>Longest one render may take; a template still running then is stopped (<c>CMP707</c>).</summary>
    public static readonly TimeSpan RenderTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Scriban's built-in functions, created once and shared read-only by every render.</summary>
    private static readonly ScriptObject Builtins = CreateBuiltins();

    private readonly Template _template;

    /// <summary>
    /// A built-in template's renderer in plain code (see <see cref="TechniqueTemplate"/>): the same text as the Scriban
    /// template for the data its technique gives, without interpreting it; null when the data is not of that shape (the
    /// template is then interpreted).
    /// </summary>
    private readonly Func<ScriptObject, string?>? _direct;

    private PromptTemplate(string name, string origin, Template template, Func<ScriptObject, string?>? direct = null)
    {
        Name = name;
        Origin = origin;
        _template = template;
        _direct = direct;
    }

    /// <summary>This template rendered by <paramref name="direct"/> where it can (a built-in's plain-code renderer).</summary>
    internal PromptTemplate WithDirect(Func<ScriptObject, string?> direct) => new(Name, Origin, _template, direct);

    /// <summary>True when a plain-code renderer stands in for the interpreter.</summary>
    internal bool HasDirect => _direct is not null;

    private static ScriptObject CreateBuiltins()
    {
        var builtins = TemplateContext.GetDefaultBuiltinObject();
        builtins.IsReadOnly = true;
        return builtins;
    }

    /// <summary>The template's name (<c>rank_listwise</c>, ...).</summary>
    public string Name { get; }

    /// <summary>Where the text came from: <c>built-in</c>, <c>inline</c> or a file path.</summary>
    public string Origin { get; }

    /// <summary>Parses a template; syntax errors come back as diagnostics located in the pipeline file (inline) or the template file.</summary>
    public static (PromptTemplate? Template, IReadOnlyList<Diagnostic> Diagnostics) Parse(
        string name, string text, string origin, SourceLocation location)
    {
        var template = Template.Parse(text, origin);
        if (!template.HasErrors)
        {
            return (new PromptTemplate(name, origin, template), []);
        }

        var diagnostics = template.Messages
            .Where(m => m.Type == ParserMessageType.Error)
            .Select(m => Diagnostic.Error(
                PromptDiagnosticCodes.TemplateSyntax,
                origin is "inline" ? location : new SourceLocation(origin, m.Span.Start.Line + 1, m.Span.Start.Column + 1),
                $"prompt template '{name}' ({origin}) does not parse: {m.Message}",
                "Scriban syntax: {{ question }}, {{ for c in candidates }}...{{ end }}; see docs/prompts.md."))
            .ToList();
        return (null, diagnostics);
    }

    /// <summary>Renders the template with <paramref name="model"/> as its only globals.</summary>
    /// <exception cref="PromptRenderException">The template failed at run time (limit hit, bad expression).</exception>
    public string Render(ScriptObject model)
    {
        if (_direct?.Invoke(model) is { } direct)
        {
            return direct.Length > MaxOutputChars
                ? throw new PromptRenderException($"prompt template '{Name}' ({Origin}) rendered more than {MaxOutputChars} characters.")
                : direct.Trim();
        }

        return RenderInterpreted(model);
    }

    /// <summary>Renders by interpreting the Scriban template, whatever plain-code renderer the template has.</summary>
    internal string RenderInterpreted(ScriptObject model)
    {
        // Rendering is synchronous: one deadline source per thread, re-armed for each render (no timer allocated per call).
        var deadline = t_deadline ??= new CancellationTokenSource();
        deadline.CancelAfter(RenderTimeout);
        try
        {
            return RenderWithin(model, deadline);
        }
        finally
        {
            if (!deadline.TryReset())
            {
                deadline.Dispose();
                t_deadline = null;
            }
        }
    }

    [ThreadStatic]
    private static CancellationTokenSource? t_deadline;

    /// <summary>
    /// One sandboxed context per thread, reused across renders (a context is large: creating one per call was most of a
    /// call's allocations). Rendering is synchronous, so a thread renders one template at a time; a render that fails
    /// drops the context, and a fresh one is made for the next.
    /// </summary>
    [ThreadStatic]
    private static TemplateContext? t_context;

    private static TemplateContext NewContext() => new(Builtins)
    {
        LoopLimit = 10_000,
        RecursiveLimit = 32,
        LimitToString = MaxOutputChars,
        StrictVariables = false,
        TemplateLoader = null,
        MemberFilter = static _ => false,
        EnableRelaxedMemberAccess = true,
    };

    private string RenderWithin(ScriptObject model, CancellationTokenSource deadline)
    {
        var context = t_context ?? NewContext();
        t_context = null;
        context.CancellationToken = deadline.Token;
        context.PushGlobal(model);
        try
        {
            var text = _template.Render(context);
            if (text.Length > MaxOutputChars)
            {
                throw new PromptRenderException($"prompt template '{Name}' ({Origin}) rendered more than {MaxOutputChars} characters.");
            }

            context.PopGlobal();
            context.Reset();
            context.CancellationToken = CancellationToken.None;
            t_context = context;
            return text.Trim();
        }
        catch (ScriptAbortException) when (deadline.IsCancellationRequested)
        {
            throw new PromptRenderException($"error {PromptDiagnosticCodes.TemplateTimedOut}: prompt template '{Name}' ({Origin}) took longer than {RenderTimeout.TotalSeconds:0.#} s to render and was stopped.");
        }
        catch (ScriptRuntimeException ex)
        {
            throw new PromptRenderException($"prompt template '{Name}' ({Origin}) failed: {ex.OriginalMessage}", ex);
        }
    }
}

/// <summary>A prompt template failed while rendering (a user's template hit a limit or a bad expression).</summary>
public sealed class PromptRenderException : Exception
{
    public PromptRenderException(string message)
        : base(message)
    {
    }

    public PromptRenderException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
