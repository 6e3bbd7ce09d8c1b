using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Compose.Tests.Architecture;

/// <summary>
/// The folders of src/Compose depend on each other in one direction (docs/ARCHITECTURE.md):
/// IO ← Language ← Prompts ← Models ← Compilation ← Runtime ← Techniques, each using only those before it.
/// Read from the compiled assembly: every type a type's signatures and method bodies name (closures and async state
/// machines count for the type that declares them), so a dependency cannot hide in a fully qualified name.
/// </summary>
public sealed class DependencyTests
{
    private static readonly ImmutableArray<string> Layers = ["IO", "Language", "Prompts", "Models", "Compilation", "Runtime", "Techniques"];

    private static readonly Lazy<Dictionary<(string From, string To), SortedSet<string>>> Edges = new(Read);

    [Fact]
    public void Each_folder_uses_only_the_folders_below_it()
    {
        var upward = Edges.Value
            .Where(e => Layers.IndexOf(e.Key.To) > Layers.IndexOf(e.Key.From))
            .Select(e => $"{e.Key.From} -> {e.Key.To}: {string.Join(", ", e.Value.Take(4))}")
            .ToList();

        Assert.True(upward.Count == 0, "upward dependencies:\n" + string.Join("\n", upward));
    }

    [Fact]
    public void The_reader_sees_real_dependencies()
    {
        // A check that it finds the edges that must exist, so an empty result above is not a broken reader.
        Assert.Contains(("Runtime", "Compilation"), Edges.Value.Keys);
        Assert.Contains(("Techniques", "Runtime"), Edges.Value.Keys);
        Assert.Contains(("Language", "IO"), Edges.Value.Keys);
        Assert.All(Edges.Value.Keys, e => Assert.Contains(e.From, Layers));
    }

    private static string? Folder(string ns)
    {
        if (!ns.StartsWith("Compose.", StringComparison.Ordinal))
        {
            return null;
        }

        var first = ns["Compose.".Length..].Split('.')[0];
        return first;
    }

    private static Dictionary<(string From, string To), SortedSet<string>> Read()
    {
        var path = typeof(Compose.Language.PipelineReader).Assembly.Location;
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var edges = new Dictionary<(string, string), SortedSet<string>>();
        var decoder = new TypeCollector(md);

        foreach (var handle in md.TypeDefinitions)
        {
            var from = FolderOf(md, handle);
            if (from is null)
            {
                continue;
            }

            var type = md.GetTypeDefinition(handle);
            var named = new HashSet<TypeDefinitionHandle>();
            decoder.Named = named;
            void Add(EntityHandle h) => decoder.Collect(h, named);

            if (!type.BaseType.IsNil)
            {
                Add(type.BaseType);
            }

            foreach (var i in type.GetInterfaceImplementations())
            {
                Add(md.GetInterfaceImplementation(i).Interface);
            }

            foreach (var f in type.GetFields())
            {
                md.GetFieldDefinition(f).DecodeSignature(decoder, named);
            }

            foreach (var p in type.GetProperties())
            {
                md.GetPropertyDefinition(p).DecodeSignature(decoder, named);
            }

            foreach (var m in type.GetMethods())
            {
                var method = md.GetMethodDefinition(m);
                method.DecodeSignature(decoder, named);
                if (method.RelativeVirtualAddress != 0)
                {
                    var body = pe.GetMethodBody(method.RelativeVirtualAddress);
                    foreach (var token in Tokens(body.GetILBytes()!))
                    {
                        Add(MetadataTokens.EntityHandle(token));
                    }

                    if (!body.LocalSignature.IsNil)
                    {
                        var locals = md.GetStandaloneSignature(body.LocalSignature);
                        if (locals.GetKind() == StandaloneSignatureKind.LocalVariables)
                        {
                            locals.DecodeLocalSignature(decoder, named);
                        }
                    }
                }
            }

            foreach (var target in named)
            {
                var to = FolderOf(md, target);
                if (to is null || to == from)
                {
                    continue;
                }

                var key = (from, to);
                if (!edges.TryGetValue(key, out var via))
                {
                    edges[key] = via = new SortedSet<string>(StringComparer.Ordinal);
                }

                via.Add($"{Name(md, handle)} uses {Name(md, target)}");
            }
        }

        return edges;
    }

    private static string? FolderOf(MetadataReader md, TypeDefinitionHandle handle)
    {
        var type = md.GetTypeDefinition(handle);
        while (type.IsNested)
        {
            handle = type.GetDeclaringType();
            type = md.GetTypeDefinition(handle);
        }

        return Folder(md.GetString(type.Namespace));
    }

    private static string Name(MetadataReader md, TypeDefinitionHandle handle)
    {
        var type = md.GetTypeDefinition(handle);
        while (type.IsNested)
        {
            type = md.GetTypeDefinition(type.GetDeclaringType());
        }

        return md.GetString(type.Name);
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>The metadata tokens an IL body names (calls, fields, types, tokens).</summary>
    private static IEnumerable<int> Tokens(byte[] il)
    {
        var i = 0;
        while (i < il.Length)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            switch (op.OperandType)
            {
                case OperandType.InlineField:
                case OperandType.InlineMethod:
                case OperandType.InlineTok:
                case OperandType.InlineType:
                    yield return BitConverter.ToInt32(il, i);
                    i += 4;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + (4 * BitConverter.ToInt32(il, i));
                    break;
                case OperandType.InlineI8:
                case OperandType.InlineR:
                    i += 8;
                    break;
                case OperandType.InlineBrTarget:
                case OperandType.InlineI:
                case OperandType.InlineSig:
                case OperandType.InlineString:
                case OperandType.ShortInlineR:
                    i += 4;
                    break;
                case OperandType.InlineVar:
                    i += 2;
                    break;
                case OperandType.ShortInlineBrTarget:
                case OperandType.ShortInlineI:
                case OperandType.ShortInlineVar:
                    i += 1;
                    break;
            }
        }
    }

    /// <summary>Collects the assembly's own type definitions a handle or a signature names.</summary>
    private sealed class TypeCollector(MetadataReader md) : ISignatureTypeProvider<int, HashSet<TypeDefinitionHandle>>
    {
        public void Collect(EntityHandle handle, HashSet<TypeDefinitionHandle> named)
        {
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                    named.Add((TypeDefinitionHandle)handle);
                    break;
                case HandleKind.TypeSpecification:
                    md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, named);
                    break;
                case HandleKind.MethodDefinition:
                    var method = md.GetMethodDefinition((MethodDefinitionHandle)handle);
                    named.Add(method.GetDeclaringType());
                    method.DecodeSignature(this, named);
                    break;
                case HandleKind.FieldDefinition:
                    var field = md.GetFieldDefinition((FieldDefinitionHandle)handle);
                    named.Add(field.GetDeclaringType());
                    field.DecodeSignature(this, named);
                    break;
                case HandleKind.MemberReference:
                    var member = md.GetMemberReference((MemberReferenceHandle)handle);
                    Collect(member.Parent, named);
                    if (member.GetKind() == MemberReferenceKind.Method)
                    {
                        member.DecodeMethodSignature(this, named);
                    }
                    else
                    {
                        member.DecodeFieldSignature(this, named);
                    }

                    break;
                case HandleKind.MethodSpecification:
                    var spec = md.GetMethodSpecification((MethodSpecificationHandle)handle);
                    Collect(spec.Method, named);
                    spec.DecodeSignature(this, named);
                    break;
            }
        }

        public int GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => Remember(handle);

        public int GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => 0;

        public int GetTypeFromSpecification(MetadataReader reader, HashSet<TypeDefinitionHandle> named, TypeSpecificationHandle handle, byte rawTypeKind)
        {
            reader.GetTypeSpecification(handle).DecodeSignature(this, named);
            return 0;
        }

        public int GetSZArrayType(int elementType) => 0;

        public int GetArrayType(int elementType, ArrayShape shape) => 0;

        public int GetByReferenceType(int elementType) => 0;

        public int GetPointerType(int elementType) => 0;

        public int GetPinnedType(int elementType) => 0;

        public int GetGenericInstantiation(int genericType, ImmutableArray<int> typeArguments) => 0;

        public int GetGenericMethodParameter(HashSet<TypeDefinitionHandle> named, int index) => 0;

        public int GetGenericTypeParameter(HashSet<TypeDefinitionHandle> named, int index) => 0;

        public int GetFunctionPointerType(MethodSignature<int> signature) => 0;

        public int GetModifiedType(int modifier, int unmodifiedType, bool isRequired) => 0;

        public int GetPrimitiveType(PrimitiveTypeCode typeCode) => 0;

        /// <summary>Where the definitions met while decoding go (the decoder passes no context to <see cref="GetTypeFromDefinition"/>).</summary>
        public HashSet<TypeDefinitionHandle> Named { get; set; } = [];

        private int Remember(TypeDefinitionHandle handle)
        {
            Named.Add(handle);
            return 0;
        }
    }
}
