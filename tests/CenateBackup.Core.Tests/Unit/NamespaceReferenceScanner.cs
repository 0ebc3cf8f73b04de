using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>One reference from a type to another type of the scanned namespaces.</summary>
public sealed record TypeReferenceEdge(string FromNamespace, string FromType, string ToNamespace, string ToType);

/// <summary>
/// Reads an assembly's metadata (not its reflection surface) and lists, for every type whose namespace starts with a
/// prefix, the other types under that prefix it references: base type, interfaces, generic constraints, fields,
/// properties, events, method signatures, custom attributes (constructor and typeof arguments), local variables,
/// catch clauses and every token operand in method bodies (call, newobj, ldfld, ldtoken, castclass, isinst, box,
/// newarr, ldftn, initobj, ...). A nested type (lambda closure, async state machine, iterator) counts as its outermost
/// declaring type, so a reference made inside a lambda belongs to the type that wrote the lambda.
/// </summary>
public static class NamespaceReferenceScanner
{
    private static readonly Dictionary<ushort, OperandType> s_operands = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(op => unchecked((ushort)op.Value), op => op.OperandType);

    /// <summary>Every distinct type-to-type reference inside <paramref name="namespacePrefix"/> (self references
    /// omitted).</summary>
    public static IReadOnlyList<TypeReferenceEdge> Scan(string assemblyPath, string namespacePrefix)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var scan = new Walker(reader, pe, namespacePrefix);
        foreach (var handle in reader.TypeDefinitions)
        {
            scan.Type(handle);
        }
        return scan.Edges.OrderBy(e => e.FromType, StringComparer.Ordinal)
            .ThenBy(e => e.ToType, StringComparer.Ordinal).ToList();
    }

    /// <summary>The namespace a type counts for: that of its outermost declaring type.</summary>
    private static TypeDefinitionHandle Outermost(MetadataReader reader, TypeDefinitionHandle handle)
    {
        var declaring = reader.GetTypeDefinition(handle).GetDeclaringType();
        return declaring.IsNil ? handle : Outermost(reader, declaring);
    }

    private static string FullName(MetadataReader reader, TypeDefinitionHandle handle)
    {
        var type = reader.GetTypeDefinition(handle);
        var declaring = type.GetDeclaringType();
        var name = reader.GetString(type.Name);
        if (!declaring.IsNil)
        {
            return FullName(reader, declaring) + "+" + name;
        }
        var ns = reader.GetString(type.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    private sealed class Walker : ISignatureTypeProvider<string, object?>, ICustomAttributeTypeProvider<string>
    {
        private readonly MetadataReader _reader;
        private readonly PEReader _pe;
        private readonly string _prefix;
        private readonly Dictionary<string, TypeDefinitionHandle> _byName = new(StringComparer.Ordinal);
        private readonly HashSet<TypeReferenceEdge> _edges = new();
        private const string PrimitivePrefix = "primitive:";
        private TypeDefinitionHandle _from;

        public Walker(MetadataReader reader, PEReader pe, string prefix)
        {
            _reader = reader;
            _pe = pe;
            _prefix = prefix;
            foreach (var handle in reader.TypeDefinitions)
            {
                _byName[FullName(reader, handle)] = handle;
            }
        }

        public IEnumerable<TypeReferenceEdge> Edges => _edges;

        public void Type(TypeDefinitionHandle handle)
        {
            _from = Outermost(_reader, handle);
            if (!InScope(_from))
            {
                return;
            }
            var type = _reader.GetTypeDefinition(handle);
            Entity(type.BaseType);
            foreach (var i in type.GetInterfaceImplementations())
            {
                Entity(_reader.GetInterfaceImplementation(i).Interface);
            }
            GenericParameters(type.GetGenericParameters());
            Attributes(type.GetCustomAttributes());
            foreach (var f in type.GetFields())
            {
                var field = _reader.GetFieldDefinition(f);
                field.DecodeSignature(this, null);
                Attributes(field.GetCustomAttributes());
            }
            foreach (var p in type.GetProperties())
            {
                var property = _reader.GetPropertyDefinition(p);
                property.DecodeSignature(this, null);
                Attributes(property.GetCustomAttributes());
            }
            foreach (var e in type.GetEvents())
            {
                var ev = _reader.GetEventDefinition(e);
                Entity(ev.Type);
                Attributes(ev.GetCustomAttributes());
            }
            foreach (var m in type.GetMethods())
            {
                Method(m);
            }
        }

        private void Method(MethodDefinitionHandle handle)
        {
            var method = _reader.GetMethodDefinition(handle);
            method.DecodeSignature(this, null);
            GenericParameters(method.GetGenericParameters());
            Attributes(method.GetCustomAttributes());
            foreach (var p in method.GetParameters())
            {
                Attributes(_reader.GetParameter(p).GetCustomAttributes());
            }
            if (method.RelativeVirtualAddress == 0)
            {
                return;
            }
            var body = _pe.GetMethodBody(method.RelativeVirtualAddress);
            if (!body.LocalSignature.IsNil)
            {
                _reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(this, null);
            }
            foreach (var region in body.ExceptionRegions)
            {
                Entity(region.CatchType);
            }
            Il(body.GetILReader());
        }

        /// <summary>Walks the IL stream and follows every metadata token operand.</summary>
        private void Il(BlobReader il)
        {
            while (il.RemainingBytes > 0)
            {
                ushort code = il.ReadByte();
                if (code == 0xFE)
                {
                    code = (ushort)(0xFE00 | il.ReadByte());
                }
                if (!s_operands.TryGetValue(code, out var operand))
                {
                    throw new BadImageFormatException($"Unknown IL opcode 0x{code:X} at offset {il.Offset}.");
                }
                switch (operand)
                {
                    case OperandType.InlineNone:
                        break;
                    case OperandType.ShortInlineBrTarget:
                    case OperandType.ShortInlineI:
                    case OperandType.ShortInlineVar:
                        il.Offset += 1;
                        break;
                    case OperandType.InlineVar:
                        il.Offset += 2;
                        break;
                    case OperandType.InlineI8:
                    case OperandType.InlineR:
                        il.Offset += 8;
                        break;
                    case OperandType.InlineSwitch:
                        var targets = il.ReadInt32(); // read first: `Offset += 4 * ReadInt32()` reads Offset before
                        il.Offset += 4 * targets;
                        break;
                    case OperandType.InlineField:
                    case OperandType.InlineMethod:
                    case OperandType.InlineTok:
                    case OperandType.InlineType:
                    case OperandType.InlineSig:
                        Token(il.ReadInt32());
                        break;
                    default: // InlineBrTarget, InlineI, InlineString, ShortInlineR: four bytes, no type
                        il.Offset += 4;
                        break;
                }
            }
        }

        private void Token(int token)
        {
            var handle = MetadataTokens.EntityHandle(token);
            switch (handle.Kind)
            {
                case HandleKind.MethodDefinition:
                    Entity(_reader.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.FieldDefinition:
                    Entity(_reader.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.MemberReference:
                    var member = _reader.GetMemberReference((MemberReferenceHandle)handle);
                    Entity(member.Parent);
                    if (member.GetKind() == MemberReferenceKind.Method)
                    {
                        member.DecodeMethodSignature(this, null);
                    }
                    else
                    {
                        member.DecodeFieldSignature(this, null);
                    }
                    break;
                case HandleKind.MethodSpecification:
                    var spec = _reader.GetMethodSpecification((MethodSpecificationHandle)handle);
                    Token(MetadataTokens.GetToken(spec.Method));
                    spec.DecodeSignature(this, null);
                    break;
                case HandleKind.StandaloneSignature:
                    var sig = _reader.GetStandaloneSignature((StandaloneSignatureHandle)handle);
                    if (sig.GetKind() == StandaloneSignatureKind.Method)
                    {
                        sig.DecodeMethodSignature(this, null);
                    }
                    break;
                default:
                    Entity(handle);
                    break;
            }
        }

        /// <summary>A TypeDef, TypeRef, TypeSpec, MethodDef or MemberRef handle found in metadata tables.</summary>
        private void Entity(EntityHandle handle)
        {
            if (handle.IsNil)
            {
                return;
            }
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                    Reference((TypeDefinitionHandle)handle);
                    break;
                case HandleKind.TypeSpecification:
                    _reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null);
                    break;
                case HandleKind.MethodDefinition:
                case HandleKind.MemberReference:
                    Token(MetadataTokens.GetToken(handle));
                    break;
            }
        }

        private void GenericParameters(GenericParameterHandleCollection parameters)
        {
            foreach (var p in parameters)
            {
                var parameter = _reader.GetGenericParameter(p);
                Attributes(parameter.GetCustomAttributes());
                foreach (var c in parameter.GetConstraints())
                {
                    Entity(_reader.GetGenericParameterConstraint(c).Type);
                }
            }
        }

        private void Attributes(CustomAttributeHandleCollection attributes)
        {
            foreach (var a in attributes)
            {
                var attribute = _reader.GetCustomAttribute(a);
                Entity(attribute.Constructor);
                try
                {
                    attribute.DecodeValue(this); // typeof(...) arguments arrive through GetTypeFromSerializedName
                }
                catch (BadImageFormatException)
                {
                    // An enum of an assembly not loaded here cannot be sized; the constructor still counted.
                }
            }
        }

        private bool InScope(TypeDefinitionHandle handle)
        {
            var ns = _reader.GetString(_reader.GetTypeDefinition(Outermost(_reader, handle)).Namespace);
            return ns == _prefix || ns.StartsWith(_prefix + ".", StringComparison.Ordinal);
        }

        private void Reference(TypeDefinitionHandle target)
        {
            var to = Outermost(_reader, target);
            if (to == _from || !InScope(to))
            {
                return;
            }
            _edges.Add(new TypeReferenceEdge(
                _reader.GetString(_reader.GetTypeDefinition(_from).Namespace), FullName(_reader, _from),
                _reader.GetString(_reader.GetTypeDefinition(to).Namespace), FullName(_reader, target)));
        }

        // ISignatureTypeProvider: the decoder calls these for every type in a signature. The result is a name, used
        // only to tell System.Type and enums apart in attribute arguments.
        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            Reference(handle);
            return FullName(reader, handle);
        }

        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
        {
            var type = reader.GetTypeReference(handle);
            return reader.GetString(type.Namespace) + "." + reader.GetString(type.Name);
        }

        public string GetTypeFromSpecification(
            MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => PrimitivePrefix + (int)typeCode;
        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[*]";
        public string GetByReferenceType(string elementType) => elementType + "&";
        public string GetPointerType(string elementType) => elementType + "*";
        public string GetPinnedType(string elementType) => elementType;
        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) => genericType;
        public string GetGenericTypeParameter(object? genericContext, int index) => "!" + index;
        public string GetGenericMethodParameter(object? genericContext, int index) => "!!" + index;
        public string GetFunctionPointerType(MethodSignature<string> signature) => "method*";
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;

        // ICustomAttributeTypeProvider: typeof(X) in an attribute is stored as X's serialized name.
        public string GetSystemType() => "System.Type";
        public bool IsSystemType(string type) => type == "System.Type";

        public string GetTypeFromSerializedName(string name)
        {
            var plain = name.Split(',')[0].Trim();
            if (_byName.TryGetValue(plain, out var handle))
            {
                Reference(handle);
            }
            return plain;
        }

        /// <summary>An enum of this assembly: the type of its instance field; another's: ask the runtime.</summary>
        public PrimitiveTypeCode GetUnderlyingEnumType(string type)
        {
            if (_byName.TryGetValue(type, out var handle))
            {
                foreach (var f in _reader.GetTypeDefinition(handle).GetFields())
                {
                    var field = _reader.GetFieldDefinition(f);
                    if ((field.Attributes & FieldAttributes.Static) == 0)
                    {
                        var code = field.DecodeSignature(this, null);
                        return (PrimitiveTypeCode)int.Parse(code[PrimitivePrefix.Length..]);
                    }
                }
            }
            // Another assembly's enum (AttributeTargets, ...): ask the runtime, which has loaded its assembly.
            var loaded = AppDomain.CurrentDomain.GetAssemblies()
                .Select(a => a.GetType(type, throwOnError: false)).FirstOrDefault(t => t is { IsEnum: true });
            return loaded is null
                ? throw new BadImageFormatException("The underlying type of enum " + type + " is not known here.")
                : System.Type.GetTypeCode(Enum.GetUnderlyingType(loaded)) switch
                {
                    TypeCode.SByte => PrimitiveTypeCode.SByte,
                    TypeCode.Byte => PrimitiveTypeCode.Byte,
                    TypeCode.Int16 => PrimitiveTypeCode.Int16,
                    TypeCode.UInt16 => PrimitiveTypeCode.UInt16,
                    TypeCode.UInt32 => PrimitiveTypeCode.UInt32,
                    TypeCode.Int64 => PrimitiveTypeCode.Int64,
                    TypeCode.UInt64 => PrimitiveTypeCode.UInt64,
                    _ => PrimitiveTypeCode.Int32,
                };
        }
    }
}
