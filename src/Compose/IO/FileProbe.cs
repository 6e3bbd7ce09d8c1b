using System.Runtime.InteropServices;

namespace Compose.IO;

/// <summary>What kind of file system entry a path is, found without opening it (opening a FIFO blocks).</summary>
public enum FileKind
{
    Missing,
    Regular,
    Directory,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    Other,
}

/// <summary>
/// Classifies a path with <c>stat</c> (following symlinks), without opening it. On Unix it calls the
/// .NET runtime's own native shim (libSystem.Native, which ships with every .NET runtime) because the
/// managed API has no file-type query; where that is unavailable it falls back to what
/// <see cref="FileSystemInfo"/> can tell.
/// </summary>
public static partial class FileProbe
{
    // Mode bits of the runtime shim's FileStatus (the shim normalises them across platforms).
    private const int TypeMask = 0xF000;
    private const int TypeFifo = 0x1000;
    private const int TypeCharacter = 0x2000;
    private const int TypeDirectory = 0x4000;
    private const int TypeBlock = 0x6000;
    private const int TypeRegular = 0x8000;
    private const int TypeSocket = 0xC000;

    private static bool s_nativeUnavailable;

    /// <summary>The kind of <paramref name="path"/> and, for a regular file, its size in bytes.</summary>
    public static (FileKind Kind, long Size) Probe(string path)
    {
        if (!OperatingSystem.IsWindows() && !s_nativeUnavailable)
        {
            try
            {
                var status = default(FileStatus);
                if (Stat(path, ref status) != 0)
                {
                    return (Exists(path) ? FileKind.Other : FileKind.Missing, 0);
                }

                var kind = (status.Mode & TypeMask) switch
                {
                    TypeRegular => FileKind.Regular,
                    TypeDirectory => FileKind.Directory,
                    TypeFifo => FileKind.Fifo,
                    TypeCharacter => FileKind.CharacterDevice,
                    TypeBlock => FileKind.BlockDevice,
                    TypeSocket => FileKind.Socket,
                    _ => FileKind.Other,
                };
                return (kind, status.Size);
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                s_nativeUnavailable = true;
            }
        }

        return Managed(path);
    }

    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null;

    private static (FileKind, long) Managed(string path)
    {
        if (Directory.Exists(path))
        {
            return (FileKind.Directory, 0);
        }

        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return (FileKind.Missing, 0);
        }

        return (info.Attributes & FileAttributes.Device) != 0 ? (FileKind.CharacterDevice, 0) : (FileKind.Regular, info.Length);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct FileStatus
    {
        public int Flags;
        public int Mode;
        public uint Uid;
        public uint Gid;
        public long Size;
        public long ATime;
        public long ATimeNsec;
        public long MTime;
        public long MTimeNsec;
        public long CTime;
        public long CTimeNsec;
        public long BirthTime;
        public long BirthTimeNsec;
        public long Dev;
        public long RDev;
        public long Ino;
        public uint UserFlags;

        // Room for fields a newer runtime may append, so a longer struct never overwrites our stack.
        public long Reserved0;
        public long Reserved1;
        public long Reserved2;
        public long Reserved3;
    }

    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_Stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Stat(string path, ref FileStatus output);
}
