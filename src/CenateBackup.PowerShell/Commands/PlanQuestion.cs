namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// What a cmdlet asks about a plan before <see cref="CenateCmdletBase"/> runs it: ShouldProcess's texts, or that the
/// plan has nothing to do, or that it may run without asking.
/// </summary>
public sealed record PlanQuestion
{
    private PlanQuestion(string target, string action, string? caption, bool ask, bool nothingToDo)
    {
        Target = target;
        Action = action;
        Caption = caption;
        Ask = ask;
        NothingToDo = nothingToDo;
    }

    /// <summary>ShouldProcess's target (with <see cref="Caption"/>: the verbose description -WhatIf shows).</summary>
    public string Target { get; }

    /// <summary>ShouldProcess's action (with <see cref="Caption"/>: the -Confirm question).</summary>
    public string Action { get; }

    /// <summary>The -Confirm caption; null for the two-text ShouldProcess(target, action).</summary>
    public string? Caption { get; }

    /// <summary>False: run without asking (a change that needs no question unless -WhatIf or -Confirm asks).</summary>
    public bool Ask { get; }

    /// <summary>The plan changes nothing: it is the outcome, nothing is asked or run.</summary>
    public bool NothingToDo { get; }

    /// <summary>ShouldProcess(target, action).</summary>
    public static PlanQuestion Of(string target, string action) => new(target, action, null, true, false);

    /// <summary>ShouldProcess(description, question, caption).</summary>
    public static PlanQuestion Of(string description, string question, string caption) =>
        new(description, question, caption, true, false);

    /// <summary>Runs the plan without asking.</summary>
    public static PlanQuestion Unasked { get; } = new("", "", null, false, false);

    /// <summary>Nothing to change: the plan is the outcome.</summary>
    public static PlanQuestion Nothing { get; } = new("", "", null, false, true);
}
