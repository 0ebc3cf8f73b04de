using System.Text;

namespace CenateBackup.Core.Tools;

/// <summary>Collects tool stderr up to a limit so a chatty tool cannot exhaust memory.</summary>
internal sealed class BoundedText
{
    private const int Limit = 64 * 1024;
    private readonly StringBuilder _text = new();

    public void Append(string s)
    {
        lock (_text)
        {
            if (_text.Length < Limit) _text.Append(s, 0, System.Math.Min(s.Length, Limit - _text.Length));
        }
    }

    public override string ToString()
    {
        lock (_text) return _text.ToString().Trim();
    }
}
